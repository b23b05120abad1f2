using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using T = Metronome.Storage.Conformance.LedgerTables;

namespace Metronome.Storage.Conformance;

/// <summary>Failure handling in every store (issue 14): counting and the automatic pause, the hook outbox, the timed resume.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Theory, MemberData(nameof(T.FailureNames), MemberType = typeof(T))]
    public async Task Ledger_failure_case(string name)
    {
        var c = T.Failures.Single(x => x.Name == name);
        var job = await CreateAsync(c.Job);
        var runs = await TriggerAsync(job, c.Running);
        foreach (var batch in c.Batches)
            await Jobs.CompleteRunsAsync([.. batch.Select(r => new RunCompletion(runs[r.Run].Run.Id, job.Id, 1, r.Status, T.StartedAt(r.Run),
                T.StartedAt(r.Run) + TimeSpan.FromSeconds(1), r.Status == RunStatus.Succeeded ? null : "boom", null, null, null, T.Node))], default);

        var after = (await Jobs.GetJobAsync(job.Product, job.Tag, default))!;
        var work = await Jobs.ListFollowUpsAsync(100, default);
        var outcome = new T.FailureOutcome(after.Status, after.ConsecutiveFailures, work.Notices.Count, work.Hooks.Count);

        Assert.Equal(c.Expected, outcome);
        Assert.Equal(T.FailureReference(c), outcome);
        foreach (var notice in work.Notices)
        {
            Assert.Equal((job.Product, job.Tag, JobNoticeActions.Pause), (notice.Product, notice.JobTag, notice.Action));
            Assert.Equal(JobLedger.AutoPauseReason(after.ConsecutiveFailures), notice.Reason);
        }
        foreach (var hook in work.Hooks)
        {
            Assert.Equal(FailureHookStatuses.Pending, hook.FailedRun.OnFailure?.Status);
            Assert.True(JobLedger.RunsFailureHook(hook.FailedRun.Status));
            Assert.Equal(job.Tag, hook.Job?.Tag);
        }
    }

    [Fact]
    public async Task Failure_fields_round_trip()
    {
        var job = await CreateAsync(NewJob("fields") with
        {
            OnFailure = new FailureHook("action", "ping"), PauseAfterFailures = 4, ConsecutiveFailures = 2, PausedUntil = At(90), Status = JobStatus.Paused,
        });
        var read = await Jobs.GetJobAsync(Product, "fields", default);
        Assert.Equal(job, read);

        var cleared = await Jobs.ModifyJobAsync(Product, "fields", j => j with { OnFailure = null, PauseAfterFailures = 0, PausedUntil = null }, default);
        Assert.Equal(cleared, await Jobs.GetJobAsync(Product, "fields", default));
        Assert.Null(cleared.OnFailure);
    }

    [Fact]
    public async Task Paused_until_resumes_at_its_instant_with_a_notice()
    {
        var job = await CreateAsync(NewJob("until"));
        await Jobs.ModifyJobAsync(Product, "until", j => j with { Status = JobStatus.Paused, PausedUntil = At(60) }, default);
        var other = await CreateAsync(NewJob("forever") with { Status = JobStatus.Paused });

        Assert.Empty(await Jobs.ResumePausedJobsAsync(At(59.999), default));
        Assert.Equal(JobStatus.Paused, (await Jobs.GetJobAsync(Product, "until", default))!.Status);

        var entries = await Jobs.ResumePausedJobsAsync(At(60.5), default);

        var resumed = (await Jobs.GetJobAsync(Product, "until", default))!;
        Assert.Equal((JobStatus.Active, (DateTimeOffset?)null), (resumed.Status, resumed.PausedUntil));
        Assert.Equal([new ScheduleEntry(job.Id, At(61))], entries); // the next grid point after now, as a manual resume
        Assert.Equal(JobStatus.Paused, (await Jobs.GetJobAsync(Product, other.Tag, default))!.Status);
        var notice = Assert.Single((await Jobs.ListFollowUpsAsync(10, default)).Notices);
        Assert.Equal((JobNoticeActions.Resume, "until"), (notice.Action, notice.JobTag));
        Assert.Empty(await Jobs.ResumePausedJobsAsync(At(120), default));

        await Jobs.CompleteFollowUpsAsync(new FollowUpResults([], [notice.Id]), default);
        Assert.Empty((await Jobs.ListFollowUpsAsync(10, default)).Notices);
    }

    /// <summary>
    /// The hook's crash safety at the store: the completion marks the hook pending in its own transaction, so a store opened
    /// afresh (a new engine after kill -9) finds it; once its outcome is recorded it is never listed again, and a second
    /// (late) outcome does not overwrite the first.
    /// </summary>
    [Fact]
    public async Task A_pending_hook_survives_a_new_store_and_completes_once()
    {
        var job = await CreateAsync(NewJob("hooked") with { OnFailure = new FailureHook("action", "ping") });
        var run = (await TriggerAsync(job, 1))[0];
        await Jobs.CompleteRunsAsync([Failed(run, At(1), retryAt: null)], default);

        var restarted = (await OpenAsync()).Jobs;
        var pending = Assert.Single((await restarted.ListFollowUpsAsync(10, default)).Hooks);
        Assert.Equal((run.Run.Id, RunStatus.Failed, "HTTP 503"), (pending.FailedRun.Id, pending.FailedRun.Status, pending.FailedRun.ErrorMessage));
        Assert.Equal(new FailureHook("action", "ping"), pending.Job?.OnFailure);

        var done = new FailureHookState(FailureHookStatuses.Succeeded, FinishedAt: At(2));
        await restarted.CompleteFollowUpsAsync(new FollowUpResults([(run.Run.Id, done)], []), default);
        await restarted.CompleteFollowUpsAsync(new FollowUpResults([(run.Run.Id, new FailureHookState(FailureHookStatuses.Failed, "late", "exception", At(3)))], []), default);

        Assert.Empty((await Jobs.ListFollowUpsAsync(10, default)).Hooks);
        Assert.Equal(done, (await Jobs.GetRunAsync(Product, run.Run.Id, default))!.OnFailure);
    }

    [Fact]
    public async Task Recovery_that_abandons_a_run_counts_it_and_owes_its_hook()
    {
        var job = await CreateAsync(NewJob("lost") with { OnFailure = new FailureHook("action", "ping"), PauseAfterFailures = 1 });
        var run = (await TriggerAsync(job, 1))[0];

        await Jobs.RecoverRunsAsync(new RecoverParams(T.OtherNode, T.RecoveredAt, null), default);

        var after = (await Jobs.GetJobAsync(Product, "lost", default))!;
        Assert.Equal((JobStatus.Paused, 1), (after.Status, after.ConsecutiveFailures));
        var work = await Jobs.ListFollowUpsAsync(10, default);
        Assert.Equal(run.Run.Id, Assert.Single(work.Hooks).FailedRun.Id);
        Assert.Equal(JobNoticeActions.Pause, Assert.Single(work.Notices).Action);
    }

    [Fact]
    public async Task A_succeeded_run_or_a_job_without_hook_owes_nothing()
    {
        var plain = await CreateAsync(NewJob("plain"));
        var hooked = await CreateAsync(NewJob("hooked-ok") with { OnFailure = new FailureHook("action", "ping") });
        var a = (await TriggerAsync(plain, 1))[0];
        var b = (await TriggerAsync(hooked, 1))[0];
        await Jobs.CompleteRunsAsync([Failed(a, At(1), retryAt: null),
            new RunCompletion(b.Run.Id, hooked.Id, 1, RunStatus.Succeeded, At(1), At(1), null, null, null, null, b.Run.Node)], default);

        Assert.Same(FollowUps.None, await Jobs.ListFollowUpsAsync(10, default));
        Assert.Null((await Jobs.GetRunAsync(Product, a.Run.Id, default))!.OnFailure);
    }
}

/// <summary>The failure table through <see cref="JobLedger"/> alone.</summary>
public sealed class JobLedgerFailureTests
{
    [Theory, MemberData(nameof(T.FailureNames), MemberType = typeof(T))]
    public void Failure_case(string name)
    {
        var c = T.Failures.Single(x => x.Name == name);
        Assert.Equal(c.Expected, T.FailureReference(c));
    }
}
