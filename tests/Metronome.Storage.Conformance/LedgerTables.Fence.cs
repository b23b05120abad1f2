using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;

namespace Metronome.Storage.Conformance;

public static partial class LedgerTables
{
    // ---------------------------------------------------------------- fence (JobLedger.Applies)

    /// <param name="Recovered">Before the report, recovery re-issues the run to <see cref="OtherNode"/> as the next attempt.</param>
    /// <param name="Attempt">The attempt reported.</param>
    /// <param name="From">The node reporting.</param>
    /// <param name="Retry">The report is a failure with a retry (else a final success).</param>
    public sealed record FenceCase(string Name, bool Recovered, int Attempt, string From, bool Retry, FenceOutcome Expected);

    /// <summary>The run after the report, and the job's in-flight count.</summary>
    public sealed record FenceOutcome(RunStatus Status, int Attempt, string? Node, int InFlight);

    public static readonly FenceCase[] Fence =
    [
        new("the running attempt's own report applies", false, 1, Node, false, new(RunStatus.Succeeded, 1, Node, 0)),
        new("the running attempt's own retry applies", false, 1, Node, true, new(RunStatus.Running, 2, Node, 1)),
        new("a report of another attempt changes nothing", false, 2, Node, false, new(RunStatus.Running, 1, Node, 1)),
        new("a report from another node changes nothing", false, 1, OtherNode, false, new(RunStatus.Running, 1, Node, 1)),
        new("a late report after recovery re-issued the run elsewhere changes nothing", true, 1, Node, false, new(RunStatus.Running, 2, OtherNode, 1)),
        new("a late retry after recovery re-issued the run elsewhere changes nothing", true, 1, Node, true, new(RunStatus.Running, 2, OtherNode, 1)),
        new("the re-issued attempt's report applies", true, 2, OtherNode, false, new(RunStatus.Succeeded, 2, OtherNode, 0)),
        new("the old node reporting the re-issued attempt's number changes nothing", true, 2, Node, false, new(RunStatus.Running, 2, OtherNode, 1)),
    ];

    public static TheoryData<string> FenceNames => Names(Fence.Select(c => c.Name));

    /// <summary>The report of a fencing case for <paramref name="runId"/> of job <paramref name="jobId"/>.</summary>
    public static RunCompletion FenceReport(FenceCase c, string runId, long jobId) => c.Retry
        ? new(runId, jobId, c.Attempt, RunStatus.Failed, At(31), At(31), "HTTP 503", "http_status", null, At(40), c.From)
        : new(runId, jobId, c.Attempt, RunStatus.Succeeded, At(31), At(31.5), null, null, null, null, c.From);

    /// <summary>The job of every fencing case: three attempts, so recovery re-issues rather than abandons.</summary>
    public static Core.Jobs.Job FenceJob(FenceCase c) => NewJob($"f{Array.IndexOf(Fence, c)}", maxAttempts: 3);
}

public static partial class LedgerReferenceFence
{
    /// <summary>A fencing case through <see cref="JobLedger"/> alone: trigger, maybe recover, then apply the report if <see cref="JobLedger.Applies"/>.</summary>
    public static LedgerTables.FenceOutcome Fence(LedgerTables.FenceCase c)
    {
        var job = LedgerTables.FenceJob(c) with { Id = 1 };
        var trigger = JobLedger.Trigger(job, "run-1", LedgerTables.Node, LedgerTables.TriggeredAt);
        var run = trigger.Run;
        job = trigger.Next;
        if (c.Recovered)
            run = JobLedger.Recover(new Orphan(run, null, job.Retries.MaxAttempts), job, LedgerTables.OtherNode, LedgerTables.RecoveredAt).Resume!.Run;
        var report = LedgerTables.FenceReport(c, run.Id, job.Id);
        if (!JobLedger.Applies(run, report)) return new(run.Status, run.Attempt, run.Node, job.InFlight);
        if (report.RetryAt is not null) return new(RunStatus.Running, report.Attempt + 1, run.Node, job.InFlight);
        job = JobLedger.Release(job, report.StartedAt, report.Status);
        return new(report.Status, run.Attempt, run.Node, job.InFlight);
    }
}
