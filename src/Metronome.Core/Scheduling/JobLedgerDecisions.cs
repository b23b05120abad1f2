using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Core.Scheduling;

/// <summary>What <see cref="JobLedger.Claim"/> decided for one job (a value: a busy node claims hundreds of thousands a second).</summary>
/// <param name="JobId">The job asked about.</param>
/// <param name="Next">The job's new schedule state to write, or null when it did not change.</param>
/// <param name="Runs">The fired slots, in slot order: runs to insert (running, first attempt) and execute.</param>
/// <param name="Skipped">The new skipped runs to insert (finished, not counted), each standing for consecutive skipped slots
/// (<see cref="Run.SkippedCount"/>): slots shed before a fired one when the job was behind its grid, or slots due while an
/// execution still runs. A block that continues the job's open skipped run extends it instead (<see cref="Extended"/>).</param>
/// <param name="Entry">The job's place in the due queue (due time null: nothing scheduled, or waiting on a running execution).</param>
/// <param name="Blocked">A slot is due but waits for a running execution (overlap <c>queue</c>, or a sequential catch-up).</param>
public readonly record struct SlotClaim(long JobId, Job? Next, IReadOnlyList<ClaimedRun> Runs, IReadOnlyList<Run> Skipped, ScheduleEntry Entry,
    bool Blocked)
{
    /// <summary>
    /// The skipped slots continue the job's open skipped run (<see cref="Job.SkipRunId"/>): the store adds their number to that
    /// run's <see cref="Run.SkippedCount"/> and sets its finished time, instead of inserting a run.
    /// </summary>
    public SkipExtension? Extended { get; init; }

    /// <summary>A job gone or not active: nothing claimed, nothing scheduled.</summary>
    public static SlotClaim Nothing(long jobId) => new(jobId, null, [], [], new ScheduleEntry(jobId, null), Blocked: false);
}

/// <summary><paramref name="Count"/> more slots skipped into the existing skipped run <paramref name="RunId"/>, the last at <paramref name="At"/>.</summary>
public readonly record struct SkipExtension(string RunId, long Count, DateTimeOffset At);

/// <summary><paramref name="Count"/> finished executions of one job, the last of them (in the order reported) described.</summary>
public readonly record struct JobRelease(long JobId, int Count, DateTimeOffset? LastRunAt, RunStatus LastRunStatus)
{
    /// <summary>Executions among them that ended without success after the last one that succeeded (all of them when none did).</summary>
    public int Failures { get; init; }

    /// <summary>At least one of them succeeded: the job's count of consecutive failures starts again from <see cref="Failures"/>.</summary>
    public bool AnySucceeded { get; init; }

    /// <summary>One execution that ended with <paramref name="status"/>, released after these.</summary>
    public JobRelease Then(DateTimeOffset? startedAt, RunStatus status) => status == RunStatus.Succeeded
        ? this with { Count = Count + 1, LastRunAt = startedAt, LastRunStatus = status, Failures = 0, AnySucceeded = true }
        : this with { Count = Count + 1, LastRunAt = startedAt, LastRunStatus = status, Failures = Failures + 1 };

    /// <summary>One execution of <paramref name="jobId"/> that ended with <paramref name="status"/>.</summary>
    public static JobRelease Of(long jobId, DateTimeOffset? startedAt, RunStatus status) =>
        new JobRelease(jobId, 0, startedAt, status).Then(startedAt, status);
}

/// <summary>
/// The finished executions of a batch of completions, tallied per job in the order reported: what
/// <see cref="JobLedger.Release(Job, JobRelease)"/> applies once per job.
/// </summary>
public sealed class ReleaseTally
{
    private readonly Dictionary<long, JobRelease> _byJob = [];

    /// <summary>Number of jobs with at least one finished execution.</summary>
    public int Count => _byJob.Count;

    /// <summary>The releases, one per job.</summary>
    public IEnumerable<JobRelease> Releases => _byJob.Values;

    /// <summary>Counts one finished execution of <paramref name="jobId"/>; the latest added is the job's last run.</summary>
    public void Add(long jobId, DateTimeOffset startedAt, RunStatus status) =>
        _byJob[jobId] = _byJob.TryGetValue(jobId, out var r) ? r.Then(startedAt, status) : JobRelease.Of(jobId, startedAt, status);
}

/// <summary>A run left <c>running</c>, with the stored columns its recovery needs.</summary>
/// <param name="RetryAt">Set when the run waits for a retry that has not started.</param>
/// <param name="MaxAttempts">The attempt limit recorded with the run.</param>
public readonly record struct Orphan(Run Run, DateTimeOffset? RetryAt, int MaxAttempts);

/// <summary>What <see cref="JobLedger.Recover"/> decided for one orphaned run: exactly one of resume and abandon.</summary>
/// <param name="Resume">The re-issued attempt (its run carries the new attempt and node), or null.</param>
/// <param name="Abandoned">The run as abandoned (status, finished time, kind and message), or null.</param>
/// <param name="Job">The job after the decision (released when the run was abandoned), or null when the job is gone.</param>
public sealed record OrphanDecision(ClaimedRun? Resume, Run? Abandoned, Job? Job);

/// <summary>What <see cref="JobLedger.Trigger"/> decided: the run to insert, the job to write, the attempt to execute.</summary>
public sealed record TriggerDecision(Run Run, Job Next, ClaimedRun Claimed);
