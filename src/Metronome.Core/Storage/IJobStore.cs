using Metronome.Core.Jobs;
using Metronome.Core.Runs;

namespace Metronome.Core.Storage;

/// <summary>
/// The engine's work against durable storage. Each member is one transaction; batch members
/// (<see cref="ClaimDueSlotsAsync"/>, <see cref="CompleteRunsAsync"/>) take many items so that a busy node pays
/// one commit per batch. Uniqueness of (job, slot) for grid slots is enforced by the database itself.
/// </summary>
public interface IJobStore
{
    /// <summary>Creates or migrates the schema. Safe to call on every start.</summary>
    Task MigrateAsync(CancellationToken ct);

    /// <summary>
    /// The readiness probe: a cheap write transaction that changes nothing (SQLite <c>BEGIN IMMEDIATE</c>, a PostgreSQL
    /// transaction that would be refused on a read-only server) reading the schema version. Ready when the store takes
    /// writes and every migration this build knows is applied. Throws when the store does not answer (a connection refused).
    /// </summary>
    Task<StoreReadiness> CheckReadinessAsync(CancellationToken ct);

    /// <summary>The due time of every active job (the engine keeps these in memory and sleeps until the earliest).</summary>
    Task<IReadOnlyList<ScheduleEntry>> LoadScheduleAsync(CancellationToken ct);

    /// <summary>
    /// For each job in <see cref="ClaimParams.JobIds"/> that is due by <see cref="ClaimParams.Horizon"/>: persists
    /// <see cref="Scheduling.JobLedger.Claim"/> (one run per planned slot, skipped slots recorded finished, the job
    /// advanced) and returns the runs to execute with each job's next due time.
    /// Jobs not due, gone or locked by another claimer are returned with their current due time (or none).
    /// </summary>
    Task<ClaimResult> ClaimDueSlotsAsync(ClaimParams p, CancellationToken ct);

    /// <summary>
    /// Records outcomes of attempts in one transaction: final ones finish a run still running and release the job
    /// (<see cref="Scheduling.JobLedger.Release(Job, Scheduling.JobRelease)"/>, once per job for the batch); ones with
    /// <see cref="RunCompletion.RetryAt"/> keep the run running with the next attempt number. Returns jobs whose in-flight
    /// count reached zero, with their due time (<see cref="Scheduling.JobLedger.AfterRelease"/>).
    /// </summary>
    Task<IReadOnlyList<ScheduleEntry>> CompleteRunsAsync(IReadOnlyList<RunCompletion> completions, CancellationToken ct);

    /// <summary>
    /// Takes over runs left <c>running</c> by a node that died (<see cref="RecoverParams.OwnerNodes"/>, or every node
    /// when null), each as <see cref="Scheduling.JobLedger.Recover"/> decides: a pending retry is re-issued as is; an
    /// interrupted attempt is re-issued as the next attempt when attempts remain, else the run is recorded <c>abandoned</c>.
    /// </summary>
    Task<RecoverResult> RecoverRunsAsync(RecoverParams p, CancellationToken ct);

    /// <summary>
    /// A stopping node gives back the attempts it holds and will not finish, in one transaction, each as
    /// <see cref="Scheduling.JobLedger.HandBack"/> decides: a run of <see cref="HandBackParams.Node"/> still running becomes a
    /// pending retry of the same attempt, which recovery re-issues as is. Returns how many runs were handed back.
    /// </summary>
    Task<int> HandBackRunsAsync(HandBackParams p, CancellationToken ct);

    /// <summary>Deletes finished runs beyond the retention (per job count and age). Returns how many were deleted.</summary>
    Task<int> PruneRunsAsync(PruneParams p, CancellationToken ct);

    // --- Job commands (each is one transaction; the engine is signalled by the caller) ---

    /// <summary>Inserts a job. Throws <see cref="ConflictException"/> when the tag is taken in the product.</summary>
    Task<Job> CreateJobAsync(Job job, CancellationToken ct);

    /// <summary>
    /// Inserts many jobs in one transaction (one commit for a group of creates). Each job succeeds or conflicts on its own:
    /// a tag taken in the store, or by an earlier job of the same list, yields <see cref="JobCreateResult.Conflict"/> and the
    /// others are still inserted. Results are in the order of <paramref name="jobs"/>.
    /// </summary>
    Task<IReadOnlyList<JobCreateResult>> CreateJobsAsync(IReadOnlyList<Job> jobs, CancellationToken ct);

    Task<Job?> GetJobAsync(string product, string tag, CancellationToken ct);

    Task<PageResult<Job>> ListJobsAsync(JobQuery query, CancellationToken ct);

    /// <summary>Reads the job, applies the pure <paramref name="change"/> and writes it back in one transaction. Throws <see cref="NotFoundException"/>.</summary>
    Task<Job> ModifyJobAsync(string product, string tag, Func<Job, Job> change, CancellationToken ct);

    /// <summary>Deletes the job (its runs are kept for history). Returns its id, or null when there was none.</summary>
    Task<long?> DeleteJobAsync(string product, string tag, CancellationToken ct);

    /// <summary>Claims one extra execution now (<see cref="Scheduling.JobLedger.Trigger"/>: slot 0, counted in executions_done). Throws <see cref="NotFoundException"/>.</summary>
    Task<ClaimedRun> TriggerJobAsync(TriggerParams p, CancellationToken ct);

    Task<PageResult<Run>> ListRunsAsync(RunQuery query, CancellationToken ct);

    Task<Run?> GetRunAsync(string product, string runId, CancellationToken ct);

    /// <summary>A product's jobs by status and its runs' activity over a window (<see cref="ProductActivity"/>): the dashboard's overview.</summary>
    Task<ProductActivity> GetProductActivityAsync(ActivityQuery query, CancellationToken ct);

    // --- failure handling and pause until (issue 14; the cluster's leader calls these) ---

    /// <summary>
    /// Resumes, in one transaction, every paused job whose <see cref="Job.PausedUntil"/> is at or before <paramref name="now"/>
    /// (<see cref="Scheduling.JobLedger.ResumeAt"/>), recording a <see cref="JobNoticeActions.Resume"/> notice for each.
    /// Returns the resumed jobs' places in the due queue.
    /// </summary>
    Task<IReadOnlyList<ScheduleEntry>> ResumePausedJobsAsync(DateTimeOffset now, CancellationToken ct);

    /// <summary>Up to <paramref name="limit"/> pending <c>on_failure</c> hooks and up to as many engine notices, oldest first.</summary>
    Task<FollowUps> ListFollowUpsAsync(int limit, CancellationToken ct);

    /// <summary>Records hooks' outcomes on their runs (only while still pending) and deletes the notices written, in one transaction.</summary>
    Task CompleteFollowUpsAsync(FollowUpResults results, CancellationToken ct);
    // --- Backfill (SPEC §6; rules in Scheduling.BackfillLedger) ---

    /// <summary>
    /// In one transaction: reads the job (<see cref="NotFoundException"/>), plans its grid slots in range
    /// (<see cref="Scheduling.BackfillLedger.Plan"/>, which throws <see cref="ValidationFailedException"/> above the limit) and
    /// inserts a queued run for each slot no run holds yet (<see cref="Scheduling.BackfillLedger.Queue"/>). Locks the job as a
    /// claim does, so the slots it queues never meet the due loop's.
    /// </summary>
    Task<BackfillResult> BackfillJobAsync(BackfillParams p, CancellationToken ct);

    /// <summary>
    /// Claims queued backfill runs for <see cref="BackfillClaimParams.Node"/> as <see cref="Scheduling.BackfillLedger.Claim"/>
    /// decides per job (in slot order, within the job's bound; a deleted job's queued runs are abandoned) and returns the
    /// attempts to execute. Cheap when nothing is queued.
    /// </summary>
    Task<IReadOnlyList<ClaimedRun>> ClaimBackfillRunsAsync(BackfillClaimParams p, CancellationToken ct);
}

/// <summary>The outcome of one job of <see cref="IJobStore.CreateJobsAsync"/>: the created job (with its id), or the conflict of its tag.</summary>
public sealed record JobCreateResult(Job? Created, ConflictException? Conflict)
{
    public static JobCreateResult Of(Job created) => new(created, null);

    public static JobCreateResult TagTaken(Job job) => new(null, new ConflictException($"job '{job.Tag}' already exists in product '{job.Product}'"));
}

/// <summary>A job's place in the engine's due queue; <see cref="DueAt"/> null removes it.</summary>
public readonly record struct ScheduleEntry(long JobId, DateTimeOffset? DueAt);

/// <param name="Node">The claiming node's name, recorded on each run.</param>
/// <param name="Now">The deciding clock.</param>
/// <param name="Horizon">Slots due up to this instant are claimed (now + a small look-ahead, fired by the local timer).</param>
/// <param name="JobIds">Jobs the engine believes due.</param>
/// <param name="MisfireThreshold">Lateness beyond which a slot follows the job's misfire policy.</param>
/// <param name="MaxSlotsPerJob">Cap of slots recorded per job in one claim.</param>
public sealed record ClaimParams(string Node, DateTimeOffset Now, DateTimeOffset Horizon, IReadOnlyList<long> JobIds, TimeSpan MisfireThreshold, int MaxSlotsPerJob = 64);

/// <param name="Runs">Runs to execute, each at its <see cref="ClaimedRun.RunAt"/>.</param>
/// <param name="Schedule">Every job asked about, with its next due time (null: nothing scheduled or waiting on a running execution).</param>
public sealed record ClaimResult(IReadOnlyList<ClaimedRun> Runs, IReadOnlyList<ScheduleEntry> Schedule);

/// <summary>An attempt to execute, with everything the dispatcher needs (no further reads on the hot path).</summary>
public sealed record ClaimedRun
{
    public required Run Run { get; init; }
    public required string JobName { get; init; }
    public required string EventType { get; init; }
    public required string EventTag { get; init; }
    public required string InputJson { get; init; }
    public required int TimeoutMs { get; init; }
    public required RetryPolicy Retries { get; init; }
    /// <summary>When this attempt should start (its slot's due time, or a retry's time).</summary>
    public required DateTimeOffset RunAt { get; init; }
}

/// <summary>The outcome of one attempt.</summary>
/// <param name="Attempt">The attempt reported, as claimed (<see cref="Run.Attempt"/> of the claimed run).</param>
/// <param name="RetryAt">Set when the attempt failed and the next attempt will run at this instant.</param>
/// <param name="Node">The node that ran the attempt (<see cref="Run.Node"/> of the claimed run). With <paramref name="Attempt"/>
/// it fences the report: it applies only while the run is still that attempt on that node
/// (<see cref="Scheduling.JobLedger.Applies"/>), so a late report from a node whose run was taken over changes nothing.</param>
public sealed record RunCompletion(
    string RunId, long JobId, int Attempt, RunStatus Status, DateTimeOffset StartedAt, DateTimeOffset FinishedAt,
    string? ErrorMessage, string? ErrorKind, string? OutputJson, DateTimeOffset? RetryAt, string? Node);

/// <summary>An attempt a stopping node gives back (<see cref="Scheduling.JobLedger.HandBack"/>).</summary>
/// <param name="RunId">The run.</param>
/// <param name="Attempt">The attempt handed back (the next owner runs this same attempt).</param>
/// <param name="RunAt">When it should run: the claimed instant of an attempt not started, the stop's instant for one cancelled.</param>
public readonly record struct RunHandBack(string RunId, int Attempt, DateTimeOffset RunAt);

/// <param name="Node">The node handing the runs back; only runs it still holds change.</param>
/// <param name="Runs">The attempts it gives back.</param>
public sealed record HandBackParams(string Node, IReadOnlyList<RunHandBack> Runs);

/// <param name="Node">The node taking the runs over.</param>
/// <param name="OwnerNodes">Nodes whose runs are orphaned; null = every node (a single-node store at start).</param>
public sealed record RecoverParams(string Node, DateTimeOffset Now, IReadOnlyList<string>? OwnerNodes);

public sealed record RecoverResult(IReadOnlyList<ClaimedRun> Resume, int Abandoned);

public sealed record PruneParams(int KeepPerJob, DateTimeOffset OlderThan);

public sealed record TriggerParams(string Product, string Tag, string Node, DateTimeOffset Now, string RunId);

public sealed record JobQuery(string Product, Jobs.JobStatus? Status, int Limit, string? Cursor)
{
    /// <summary>When set, only jobs whose tag or name contains this text, ignoring case (ASCII letters in every store).</summary>
    public string? Search { get; init; }
}

/// <param name="JobTag">One job's runs; null for every job of the product.</param>
/// <param name="Status">Runs of this status only (see also <see cref="Statuses"/>).</param>
public sealed record RunQuery(string Product, string? JobTag, RunStatus? Status, int Limit, string? Cursor)
{
    /// <summary>When set (not empty), runs of any of these statuses only (with <see cref="Status"/>, runs of both filters).</summary>
    public IReadOnlyList<RunStatus>? Statuses { get; init; }

    /// <summary>When set, the runs of this slot only (0: the job's triggered runs).</summary>
    public long? Slot { get; init; }
}

/// <summary>A page of results; <see cref="NextCursor"/> is opaque and null on the last page.</summary>
public sealed record PageResult<T>(IReadOnlyList<T> Items, string? NextCursor);
