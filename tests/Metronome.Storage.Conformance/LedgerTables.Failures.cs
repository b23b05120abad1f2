using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;

namespace Metronome.Storage.Conformance;

/// <summary>
/// Failure counting and the automatic pause (issue 14), as release cases: the same table through every store's release
/// (SQLite and PostgreSQL write the rule in their release UPDATEs) and through <see cref="JobLedger"/> alone.
/// </summary>
public static partial class LedgerTables
{
    /// <param name="Job">The job as created (its <c>consecutive_failures</c> is the count before the case).</param>
    /// <param name="Running">Runs triggered before the reports.</param>
    /// <param name="Batches">The reports, batch by batch: (index of the running run, its final status).</param>
    public sealed record FailureCase(string Name, Job Job, int Running, (int Run, RunStatus Status)[][] Batches, FailureOutcome Expected);

    /// <param name="Status">The job's status after the reports.</param>
    /// <param name="ConsecutiveFailures">Its count of consecutive failures.</param>
    /// <param name="PauseNotices">Automatic pauses recorded for the audit log.</param>
    /// <param name="PendingHooks">Finished runs whose <c>on_failure</c> hook is owed.</param>
    public sealed record FailureOutcome(JobStatus Status, int ConsecutiveFailures, int PauseNotices, int PendingHooks = 0);

    private static readonly Core.Jobs.FailureHook Hook = new("action", "ping");

    private static (int, RunStatus)[][] One(params (int, RunStatus)[] batch) => [batch];

    public static readonly FailureCase[] Failures =
    [
        new("a failure counts one", NewJob("f1"), 1, One((0, RunStatus.Failed)), new(JobStatus.Active, 1, 0)),
        new("a success resets the count", NewJob("f2") with { ConsecutiveFailures = 3 }, 1, One((0, RunStatus.Succeeded)), new(JobStatus.Active, 0, 0)),
        new("failures after a success in one batch count from it", NewJob("f3") with { ConsecutiveFailures = 2 }, 3,
            One((0, RunStatus.Failed), (1, RunStatus.Succeeded), (2, RunStatus.TimedOut)), new(JobStatus.Active, 1, 0)),
        new("a batch without success adds its failures", NewJob("f4") with { ConsecutiveFailures = 1 }, 2,
            One((0, RunStatus.Failed), (1, RunStatus.TimedOut)), new(JobStatus.Active, 3, 0)),
        new("an abandoned run counts as a failure", NewJob("f5"), 1, One((0, RunStatus.Abandoned)), new(JobStatus.Active, 1, 0)),
        new("reaching pause_after_failures pauses the job", NewJob("f6") with { PauseAfterFailures = 3, ConsecutiveFailures = 2 }, 1,
            One((0, RunStatus.Failed)), new(JobStatus.Paused, 3, 1)),
        new("below pause_after_failures the job stays active", NewJob("f7") with { PauseAfterFailures = 3, ConsecutiveFailures = 1 }, 1,
            One((0, RunStatus.Failed)), new(JobStatus.Active, 2, 0)),
        new("a resumed job that fails again pauses at once", NewJob("f8") with { PauseAfterFailures = 2, ConsecutiveFailures = 2 }, 1,
            One((0, RunStatus.TimedOut)), new(JobStatus.Paused, 3, 1)),
        new("a job paused by hand is not paused again", NewJob("f9") with { PauseAfterFailures = 1, Status = JobStatus.Paused }, 1,
            One((0, RunStatus.Failed)), new(JobStatus.Paused, 1, 0)),
        new("completion wins over the pause", NewJob("f10", executions: 1) with { PauseAfterFailures = 1 }, 1,
            One((0, RunStatus.Failed)), new(JobStatus.Completed, 1, 0)),
        new("a success never pauses", NewJob("f11") with { PauseAfterFailures = 1, ConsecutiveFailures = 5 }, 1,
            One((0, RunStatus.Succeeded)), new(JobStatus.Active, 0, 0)),
        new("a success last in the batch keeps the job active", NewJob("f12") with { PauseAfterFailures = 2, ConsecutiveFailures = 1 }, 2,
            One((0, RunStatus.Failed), (1, RunStatus.Succeeded)), new(JobStatus.Active, 0, 0)),
        new("two batches of one failure reach the threshold in the second", NewJob("f13") with { PauseAfterFailures = 2 }, 2,
            [[(0, RunStatus.Failed)], [(1, RunStatus.Failed)]], new(JobStatus.Paused, 2, 1)),
        new("a job with on_failure owes a hook per failed run", NewJob("f14") with { OnFailure = Hook }, 3,
            One((0, RunStatus.Failed), (1, RunStatus.Succeeded), (2, RunStatus.TimedOut)), new(JobStatus.Active, 1, 0, PendingHooks: 2)),
        new("an abandoned run owes its hook too", NewJob("f15") with { OnFailure = Hook }, 1,
            One((0, RunStatus.Abandoned)), new(JobStatus.Active, 1, 0, PendingHooks: 1)),
    ];

    public static TheoryData<string> FailureNames => Names(Failures.Select(c => c.Name));

    /// <summary>The failure case through <see cref="JobLedger"/> alone.</summary>
    public static FailureOutcome FailureReference(FailureCase c)
    {
        var job = c.Job with { Id = 1 };
        for (int i = 0; i < c.Running; i++) job = JobLedger.Trigger(job, $"{i}", Node, TriggeredAt).Next;
        int notices = 0, hooks = 0;
        foreach (var batch in c.Batches)
        {
            var tally = new ReleaseTally();
            foreach (var (run, status) in batch)
            {
                tally.Add(job.Id, StartedAt(run), status);
                if (job.OnFailure is not null && JobLedger.RunsFailureHook(status)) hooks++;
            }
            foreach (var release in tally.Releases)
            {
                var before = job;
                job = JobLedger.Release(job, release);
                if (before.Status == JobStatus.Active && job.Status == JobStatus.Paused) notices++;
            }
        }
        return new FailureOutcome(job.Status, job.ConsecutiveFailures, notices, hooks);
    }
}
