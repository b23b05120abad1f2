using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;
using T = Metronome.Storage.Conformance.LedgerTables;

namespace Metronome.Storage.Conformance;

/// <summary>
/// The ledger tables through this store: each case must meet the table's expectation and equal what
/// <see cref="LedgerReference"/> gets from <see cref="Core.Scheduling.JobLedger"/> alone, so the store's SQL (the release
/// UPDATEs of SQLite and PostgreSQL) and the ledger's C# rule are the same rule.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    [Theory, MemberData(nameof(T.ReleaseNames), MemberType = typeof(T))]
    public async Task Ledger_release_case(string name)
    {
        var c = T.Release.Single(x => x.Name == name);
        var job = await CreateAsync(c.Job);
        var runs = await TriggerAsync(job, c.Running);
        if (c.DeleteJob) await Jobs.DeleteJobAsync(job.Product, job.Tag, default);

        var reports = c.Finished.Select(i => new RunCompletion(runs[i].Run.Id, job.Id, 1, c.Outcome, T.StartedAt(i),
            T.StartedAt(i) + TimeSpan.FromSeconds(1), null, null, null, null, T.Node)).ToList();
        var announced = new List<DateTimeOffset?>();
        foreach (var batch in c.OneBatch ? [reports] : reports.Select(r => new List<RunCompletion> { r }))
            foreach (var entry in await Jobs.CompleteRunsAsync(batch, default))
            {
                Assert.Equal(job.Id, entry.JobId);
                announced.Add(entry.DueAt);
            }
        var after = await Jobs.GetJobAsync(job.Product, job.Tag, default);
        var outcome = new T.ReleaseOutcome(after is null ? null : LedgerState.Of(after), announced);

        LedgerReference.AssertSame(c.Expected, outcome);
        LedgerReference.AssertSame(LedgerReference.Release(c), outcome);
        foreach (var i in c.Finished)
            Assert.Equal(c.Outcome, (await Jobs.GetRunAsync(job.Product, runs[i].Run.Id, default))!.Status);
    }

    [Theory, MemberData(nameof(T.RecoverNames), MemberType = typeof(T))]
    public async Task Ledger_recover_case(string name)
    {
        var c = T.Recover.Single(x => x.Name == name);
        var job = await CreateAsync(c.Job);
        var claimed = (await TriggerAsync(job, 1))[0];
        if (c.PendingRetry) await Jobs.CompleteRunsAsync([Failed(claimed, T.At(1.5), retryAt: T.RetryAt)], default);
        if (c.DeleteJob) await Jobs.DeleteJobAsync(job.Product, job.Tag, default);

        var result = await Jobs.RecoverRunsAsync(new RecoverParams(T.OtherNode, T.RecoveredAt, null), default);

        var run = (await Jobs.GetRunAsync(job.Product, claimed.Run.Id, default))!;
        var resumed = result.Resume.SingleOrDefault();
        Assert.Equal(resumed is null ? 1 : 0, result.Abandoned);
        if (resumed is not null) Assert.Equal((run.Id, run.Attempt, run.Node), (resumed.Run.Id, resumed.Run.Attempt, resumed.Run.Node));
        var after = await Jobs.GetJobAsync(job.Product, job.Tag, default);
        var outcome = new T.RecoverOutcome(run.Attempt, resumed?.RunAt, new RunState(run.Status, run.Node, run.ErrorKind, run.ErrorMessage, run.FinishedAt),
            after is null ? null : LedgerState.Of(after));

        Assert.Equal(c.Expected, outcome);
        Assert.Equal(LedgerReference.Recover(c), outcome);
    }

    [Theory, MemberData(nameof(T.HandBackNames), MemberType = typeof(T))]
    public async Task Ledger_hand_back_case(string name)
    {
        var c = T.HandBack.Single(x => x.Name == name);
        var job = await CreateAsync(c.Job);
        var claimed = (await TriggerAsync(job, 1))[0];
        switch (c.Setup)
        {
            case T.HandBackSetup.PendingRetry:
                await Jobs.CompleteRunsAsync([Failed(claimed, T.At(1.5), retryAt: T.RetryAt)], default);
                break;
            case T.HandBackSetup.Finished:
                await Jobs.CompleteRunsAsync([new RunCompletion(claimed.Run.Id, job.Id, 1, RunStatus.Succeeded, T.StartedAt(0),
                    T.StartedAt(0) + TimeSpan.FromSeconds(1), null, null, null, null, claimed.Run.Node)], default);
                break;
            case T.HandBackSetup.TakenOver:
                Assert.Single((await Jobs.RecoverRunsAsync(new RecoverParams(T.OtherNode, T.TakenOverAt, [T.Node]), default)).Resume);
                break;
        }

        var handedBack = await Jobs.HandBackRunsAsync(new HandBackParams(T.Node, [new RunHandBack(claimed.Run.Id, c.Attempt, c.RunAt)]), default);
        var result = await Jobs.RecoverRunsAsync(new RecoverParams(T.OtherNode, T.RecoveredAt, [T.Node]), default);

        Assert.Equal(0, result.Abandoned);
        var resumed = result.Resume.SingleOrDefault();
        var run = (await Jobs.GetRunAsync(job.Product, claimed.Run.Id, default))!;
        if (resumed is not null)
        {
            Assert.Equal((run.Id, run.Attempt, run.Node), (resumed.Run.Id, resumed.Run.Attempt, resumed.Run.Node));
            Assert.Equal(claimed.Run.IdempotencyKey, resumed.Run.IdempotencyKey);
        }
        var outcome = new T.HandBackOutcome(handedBack, run.Attempt, resumed?.RunAt,
            new RunState(run.Status, run.Node, run.ErrorKind, run.ErrorMessage, run.FinishedAt), LedgerState.Of(await ReloadAsync(job)));
        Assert.Equal(c.Expected, outcome);
        Assert.Equal(LedgerReference.HandBack(c), outcome);
    }

    [Fact]
    public async Task Hand_back_of_a_repeated_or_unknown_run_changes_it_once()
    {
        var job = await CreateAsync(T.NewJob("h-repeat", maxAttempts: 1));
        var claimed = (await TriggerAsync(job, 1))[0];
        var back = new RunHandBack(claimed.Run.Id, 1, T.HandedBackAt);

        var handedBack = await Jobs.HandBackRunsAsync(new HandBackParams(T.Node, [back, back, back with { RunId = "f".PadLeft(32, '0') }]), default);

        Assert.Equal(1, handedBack);
        Assert.Equal(0, await Jobs.HandBackRunsAsync(new HandBackParams(T.Node, []), default));
        var resumed = Assert.Single((await Jobs.RecoverRunsAsync(new RecoverParams(T.OtherNode, T.RecoveredAt, null), default)).Resume);
        Assert.Equal((1, T.HandedBackAt), (resumed.Run.Attempt, resumed.RunAt));
    }

    [Theory, MemberData(nameof(T.FenceNames), MemberType = typeof(T))]
    public async Task Ledger_fence_case(string name)
    {
        var c = T.Fence.Single(x => x.Name == name);
        var job = await CreateAsync(T.FenceJob(c));
        var claimed = (await TriggerAsync(job, 1))[0];
        if (c.Recovered) Assert.Single((await Jobs.RecoverRunsAsync(new RecoverParams(T.OtherNode, T.RecoveredAt, [T.Node]), default)).Resume);

        await Jobs.CompleteRunsAsync([T.FenceReport(c, claimed.Run.Id, job.Id)], default);

        var run = (await Jobs.GetRunAsync(job.Product, claimed.Run.Id, default))!;
        var outcome = new T.FenceOutcome(run.Status, run.Attempt, run.Node, (await ReloadAsync(job)).InFlight);
        Assert.Equal(c.Expected, outcome);
        Assert.Equal(LedgerReferenceFence.Fence(c), outcome);
    }

    [Theory, MemberData(nameof(T.TriggerNames), MemberType = typeof(T))]
    public async Task Ledger_trigger_case(string name)
    {
        var c = T.Trigger.Single(x => x.Name == name);
        var job = await CreateAsync(c.Job);

        var claimed = (await TriggerAsync(job, 1))[0];

        var run = (await Jobs.GetRunAsync(job.Product, claimed.Run.Id, default))!;
        Assert.Equal(claimed.Run, run);
        var outcome = new T.TriggerOutcome(LedgerState.Of(await ReloadAsync(job)), run.Slot, run.Attempt, run.Status, run.ScheduledAt, run.StartedAt,
            run.Node, claimed.RunAt);
        Assert.Equal(c.Outcome, outcome);
        Assert.Equal(LedgerReference.Trigger(c), outcome);
    }

    [Theory, MemberData(nameof(T.ClaimNames), MemberType = typeof(T))]
    public async Task Ledger_claim_case(string name)
    {
        var c = T.Claim.Single(x => x.Name == name);
        var job = await CreateAsync(c.Job);
        var running = await TriggerAsync(job, c.Running);
        for (int step = 0; step < c.Earlier.Count; step++)
        {
            var earlier = await Jobs.ClaimDueSlotsAsync(new ClaimParams(T.Node, c.Earlier[step], c.Earlier[step], [job.Id], T.Threshold), default);
            running.AddRange(earlier.Runs);
            if (step != c.ReleaseAfter) continue;
            await Jobs.CompleteRunsAsync(running.Select((r, i) => new RunCompletion(r.Run.Id, job.Id, 1, RunStatus.Succeeded, T.StartedAt(i),
                T.StartedAt(i) + TimeSpan.FromSeconds(1), null, null, null, null, r.Run.Node)).ToList(), default);
            running.Clear();
        }

        var result = await Jobs.ClaimDueSlotsAsync(new ClaimParams(T.Node, c.Horizon, c.Horizon, [job.Id], T.Threshold), default);

        var entry = Assert.Single(result.Schedule);
        Assert.Equal(job.Id, entry.JobId);
        var slots = (await RunsOfAsync(job.Tag)).Where(r => r.Slot > 0).OrderBy(r => r.Slot).ToList();
        Assert.Subset(slots.Where(r => r.Status == RunStatus.Running).Select(r => r.Id).ToHashSet(), result.Runs.Select(r => r.Run.Id).ToHashSet());
        var outcome = new T.ClaimOutcome(
            result.Runs.Select(r => (r.Run.Slot, r.RunAt)).ToList(),
            slots.Where(r => r.Status == RunStatus.Skipped).Select(r => (r.Slot, r.ScheduledAt, r.SkippedCount)).ToList(),
            entry.DueAt,
            LedgerState.Of(await ReloadAsync(job)));

        LedgerReference.AssertSame(c.Expected, outcome);
        LedgerReference.AssertSame(LedgerReference.Claim(c), outcome);
    }

    /// <summary>Triggers <paramref name="count"/> runs of the job at <see cref="T.TriggeredAt"/>: running runs, counted in executions and in flight.</summary>
    private async Task<List<ClaimedRun>> TriggerAsync(Job job, int count)
    {
        var runs = new List<ClaimedRun>();
        for (int i = 0; i < count; i++)
            runs.Add(await Jobs.TriggerJobAsync(new TriggerParams(job.Product, job.Tag, T.Node, T.TriggeredAt, RunKeys.NewId(Time)), default));
        return runs;
    }
}
