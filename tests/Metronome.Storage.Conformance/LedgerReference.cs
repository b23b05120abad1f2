using System.Globalization;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using static Metronome.Storage.Conformance.LedgerTables;

namespace Metronome.Storage.Conformance;

/// <summary>
/// The ledger tables run through <see cref="JobLedger"/> alone, with plain values for the stored rows: the outcome each store
/// must reproduce. What is a store's job rather than a rule (a final report only applies to a run still running) is modelled
/// here as the stores do it.
/// </summary>
public static class LedgerReference
{
    private static string RunId(int n) => n.ToString("x32", CultureInfo.InvariantCulture);

    private static (Job Job, List<Run> Runs) Triggered(Job job, int count)
    {
        job = job with { Id = 1 };
        var runs = new List<Run>();
        for (int i = 0; i < count; i++)
        {
            var trigger = JobLedger.Trigger(job, RunId(i), Node, TriggeredAt);
            job = trigger.Next;
            runs.Add(trigger.Run);
        }
        return (job, runs);
    }

    public static ReleaseOutcome Release(ReleaseCase c)
    {
        var (job, _) = Triggered(c.Job, c.Running);
        Job? current = c.DeleteJob ? null : job;
        var running = Enumerable.Range(0, c.Running).ToHashSet();
        var announced = new List<DateTimeOffset?>();
        foreach (var batch in c.OneBatch ? [c.Finished] : c.Finished.Select(i => new[] { i }))
        {
            var tally = new ReleaseTally();
            foreach (var i in batch)
                if (running.Remove(i)) tally.Add(job.Id, StartedAt(i), c.Outcome);
            if (current is null) continue; // the job was deleted: its runs are history
            foreach (var release in tally.Releases)
            {
                current = JobLedger.Release(current, release);
                if (JobLedger.AfterRelease(current) is { } entry) announced.Add(entry.DueAt);
            }
        }
        return new ReleaseOutcome(current is null ? null : LedgerState.Of(current), announced);
    }

    public static RecoverOutcome Recover(RecoverCase c)
    {
        var (job, runs) = Triggered(c.Job, 1);
        var run = runs[0];
        DateTimeOffset? retryAt = null;
        if (c.PendingRetry)
        {
            run = run with { Attempt = run.Attempt + 1, ErrorKind = "http_status", ErrorMessage = "HTTP 503" };
            retryAt = RetryAt;
        }
        var decision = JobLedger.Recover(new Orphan(run, retryAt, job.Retries.MaxAttempts), c.DeleteJob ? null : job, OtherNode, RecoveredAt);
        Assert.True(decision.Resume is null != (decision.Abandoned is null), "exactly one of resume and abandon");
        var after = decision.Resume?.Run ?? decision.Abandoned!;
        return new RecoverOutcome(after.Attempt, decision.Resume?.RunAt,
            new RunState(after.Status, after.Node, after.ErrorKind, after.ErrorMessage, after.FinishedAt),
            decision.Job is null ? null : LedgerState.Of(decision.Job));
    }

    public static HandBackOutcome HandBack(HandBackCase c)
    {
        var (job, runs) = Triggered(c.Job, 1);
        var held = new Orphan(runs[0], null, job.Retries.MaxAttempts);
        switch (c.Setup)
        {
            case HandBackSetup.PendingRetry:
                held = held with { Run = held.Run with { Attempt = 2, ErrorKind = "http_status", ErrorMessage = "HTTP 503" }, RetryAt = RetryAt };
                break;
            case HandBackSetup.Finished:
                held = held with { Run = held.Run with { Status = RunStatus.Succeeded, StartedAt = StartedAt(0), FinishedAt = StartedAt(0) + TimeSpan.FromSeconds(1) } };
                job = JobLedger.Release(job, StartedAt(0), RunStatus.Succeeded);
                break;
            case HandBackSetup.TakenOver:
                held = held with { Run = JobLedger.Recover(held, job, OtherNode, TakenOverAt).Resume!.Run };
                break;
        }
        var back = JobLedger.HandBack(held, new RunHandBack(held.Run.Id, c.Attempt, c.RunAt), Node);
        if (back is { } pending) held = pending;
        ClaimedRun? resumed = null;
        if (held.Run.Status == RunStatus.Running && held.Run.Node == Node)
        {
            var decision = JobLedger.Recover(held, job, OtherNode, RecoveredAt);
            resumed = decision.Resume;
            held = held with { Run = decision.Resume?.Run ?? decision.Abandoned! };
        }
        var run = held.Run;
        return new HandBackOutcome(back is null ? 0 : 1, run.Attempt, resumed?.RunAt,
            new RunState(run.Status, run.Node, run.ErrorKind, run.ErrorMessage, run.FinishedAt), LedgerState.Of(job));
    }

    public static TriggerOutcome Trigger(TriggerCase c)
    {
        var decision = JobLedger.Trigger(c.Job with { Id = 1 }, RunId(0), Node, TriggeredAt);
        var run = decision.Run;
        Assert.Equal(run, decision.Claimed.Run);
        return new TriggerOutcome(LedgerState.Of(decision.Next), run.Slot, run.Attempt, run.Status, run.ScheduledAt, run.StartedAt, run.Node,
            decision.Claimed.RunAt);
    }

    public static ClaimOutcome Claim(ClaimCase c)
    {
        var (job, _) = Triggered(c.Job, c.Running);
        int next = 100, running = c.Running;
        var skipped = new List<Run>(); // the job's skipped runs as a store keeps them: inserted, then extended
        SlotClaim claim = default;
        var horizons = c.Earlier.Append(c.Horizon).ToList();
        for (int step = 0; step < horizons.Count; step++)
        {
            var at = horizons[step];
            claim = JobLedger.Claim(job.Id, job, new ClaimParams(Node, at, at, [job.Id], Threshold), () => RunId(next++));
            Assert.Equal(job.Id, claim.Entry.JobId);
            Assert.All(claim.Runs, r => Assert.Equal(RunStatus.Running, r.Run.Status));
            Assert.All(claim.Skipped, r => Assert.Equal(RunStatus.Skipped, r.Status));
            Assert.True(claim.Skipped.Count <= 1, "consecutive skipped slots are one run");
            skipped.AddRange(claim.Skipped);
            if (claim.Extended is { } more)
            {
                int i = skipped.FindIndex(r => r.Id == more.RunId);
                skipped[i] = skipped[i] with { SkippedCount = skipped[i].SkippedCount + more.Count, FinishedAt = more.At };
            }
            job = claim.Next ?? job;
            running += claim.Runs.Count;
            if (step == c.ReleaseAfter && running > 0)
            {
                job = JobLedger.Release(job, new JobRelease(job.Id, running, StartedAt(running - 1), RunStatus.Succeeded));
                running = 0;
            }
        }
        return new ClaimOutcome(
            claim.Runs.Select(r => (r.Run.Slot, r.RunAt)).ToList(),
            skipped.Select(r => (r.Slot, r.ScheduledAt, r.SkippedCount)).ToList(),
            claim.Entry.DueAt,
            LedgerState.Of(job));
    }

    public static void AssertSame(ReleaseOutcome expected, ReleaseOutcome actual)
    {
        Assert.Equal(expected.Job, actual.Job);
        Assert.Equal(expected.Announced, actual.Announced);
    }

    public static void AssertSame(ClaimOutcome expected, ClaimOutcome actual)
    {
        Assert.Equal(expected.Fired, actual.Fired);
        Assert.Equal(expected.Skipped, actual.Skipped);
        Assert.Equal(expected.DueAt, actual.DueAt);
        Assert.Equal(expected.Job, actual.Job);
    }
}
