using Metronome.Core.Jobs;
using Metronome.Core.Runs;

namespace Metronome.Storage.Conformance;

/// <summary>
/// The ledger tables: each case is a job state, an event and the expected outcome. Every case runs through every store
/// (<see cref="JobStoreConformanceTests"/>) and through <see cref="Core.Scheduling.JobLedger"/> directly
/// (<see cref="JobLedgerConformanceTests"/>), each compared with the same expectation, so a store's SQL cannot drift from
/// the ledger's rule. Jobs run every second from <see cref="Start"/> (first slot due at 1 s) unless a case says otherwise;
/// the runs a case needs running are triggered (slot 0), which counts them in the job's executions and in flight.
/// </summary>
public static partial class LedgerTables
{
    public static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly TimeSpan Threshold = TimeSpan.FromHours(1);
    public const string Node = "node-a";
    public const string OtherNode = "node-b";
    private const long Hour = 3_600_000;

    public static DateTimeOffset At(double seconds) => Start + TimeSpan.FromSeconds(seconds);

    /// <summary>When a pending retry of a recovery case is due, and when recovery runs.</summary>
    public static readonly DateTimeOffset RetryAt = At(2);
    public static readonly DateTimeOffset RecoveredAt = At(30);

    /// <summary>The job of a case before anything runs: its first slot due one interval after <see cref="Start"/>.</summary>
    public static Job NewJob(string tag, long executions = 0, long intervalMs = 1000, OverlapPolicy overlap = OverlapPolicy.Allow,
        MisfirePolicy misfire = MisfirePolicy.CatchUp, int maxAttempts = 1, string product = "shop") => new()
    {
        Product = product,
        Tag = tag,
        Name = $"Job {tag}",
        EventType = "action",
        EventTag = "ping",
        Executions = executions,
        IntervalMs = intervalMs,
        InputJson = """{"who":"world"}""",
        Overlap = overlap,
        Misfire = misfire,
        Retries = new RetryPolicy(maxAttempts, 500, 10_000),
        TimeoutMs = 30_000,
        NextSlot = 1,
        NextDueAt = Start + TimeSpan.FromMilliseconds(intervalMs),
        CreatedAt = Start,
        UpdatedAt = Start,
    };

    /// <summary>When run <paramref name="index"/> of a case reports it started (its job's last run time once it finishes).</summary>
    public static DateTimeOffset StartedAt(int index) => At(10 + index);

    /// <summary>The instant a case's running runs were triggered.</summary>
    public static readonly DateTimeOffset TriggeredAt = At(0.25);

    // ---------------------------------------------------------------- release

    /// <param name="Job">The job as created.</param>
    /// <param name="Running">Runs triggered before the event (each counted in executions and in flight).</param>
    /// <param name="Finished">Indices of the running runs reported finished, in order; a repeated index is a duplicate report.</param>
    /// <param name="OneBatch">All reports in one <c>CompleteRunsAsync</c> (else one call each).</param>
    /// <param name="DeleteJob">The job is deleted before the reports.</param>
    public sealed record ReleaseCase(string Name, Job Job, int Running, int[] Finished, bool OneBatch, bool DeleteJob, RunStatus Outcome,
        ReleaseOutcome Expected);

    /// <param name="Job">The job after the event (null when deleted).</param>
    /// <param name="Announced">The due times the release calls announced, in order (one entry per job whose in-flight count reached zero).</param>
    public sealed record ReleaseOutcome(LedgerState? Job, IReadOnlyList<DateTimeOffset?> Announced);

    public static readonly ReleaseCase[] Release =
    [
        new("the only running run finishes", NewJob("r1"), 1, [0], true, false, RunStatus.Succeeded,
            new(new(JobStatus.Active, 1, 0, 1, At(1), StartedAt(0), "succeeded"), [At(1)])),
        new("one of two running runs finishes", NewJob("r2"), 2, [1], true, false, RunStatus.Failed,
            new(new(JobStatus.Active, 2, 1, 1, At(1), StartedAt(1), "failed"), [])),
        new("a batch releases two runs of one job at once", NewJob("r3"), 2, [1, 0], true, false, RunStatus.Succeeded,
            new(new(JobStatus.Active, 2, 0, 1, At(1), StartedAt(0), "succeeded"), [At(1)])),
        new("two batches of one release the job in turn", NewJob("r4"), 2, [0, 1], false, false, RunStatus.TimedOut,
            new(new(JobStatus.Active, 2, 0, 1, At(1), StartedAt(1), "timed_out"), [At(1)])),
        new("the last execution finishing completes the job", NewJob("r5", executions: 2), 2, [0, 1], true, false, RunStatus.Succeeded,
            new(new(JobStatus.Completed, 2, 0, 1, At(1), StartedAt(1), "succeeded"), [null])),
        new("executions exhausted but one still running", NewJob("r6", executions: 2), 2, [0], true, false, RunStatus.Succeeded,
            new(new(JobStatus.Active, 2, 1, 1, At(1), StartedAt(0), "succeeded"), [])),
        new("a release past end_at completes the job", NewJob("r7") with { EndAt = At(0.5) }, 1, [0], true, false, RunStatus.Succeeded,
            new(new(JobStatus.Completed, 1, 0, 1, At(1), StartedAt(0), "succeeded"), [null])),
        new("a paused job is released and stays paused", NewJob("r8") with { Status = JobStatus.Paused }, 1, [0], true, false, RunStatus.Failed,
            new(new(JobStatus.Paused, 1, 0, 1, At(1), StartedAt(0), "failed"), [null])),
        new("a paused job with executions exhausted completes", NewJob("r9", executions: 1) with { Status = JobStatus.Paused }, 1, [0], true, false,
            RunStatus.Succeeded, new(new(JobStatus.Completed, 1, 0, 1, At(1), StartedAt(0), "succeeded"), [null])),
        new("a deleted job releases nothing", NewJob("r10"), 1, [0], true, true, RunStatus.Succeeded, new(null, [])),
        new("a duplicate report in one batch releases once", NewJob("r11"), 2, [0, 0], true, false, RunStatus.Succeeded,
            new(new(JobStatus.Active, 2, 1, 1, At(1), StartedAt(0), "succeeded"), [])),
        new("a duplicate report in a later batch releases nothing", NewJob("r12"), 1, [0, 0], false, false, RunStatus.Succeeded,
            new(new(JobStatus.Active, 1, 0, 1, At(1), StartedAt(0), "succeeded"), [At(1)])),
    ];

    // ---------------------------------------------------------------- recovery

    /// <summary>One run is triggered at <see cref="TriggeredAt"/>; a pending retry is its failure reported with a retry at 2 s.</summary>
    public sealed record RecoverCase(string Name, Job Job, bool PendingRetry, bool DeleteJob, RecoverOutcome Expected);

    /// <param name="Attempt">The run's attempt after recovery.</param>
    /// <param name="ResumeAt">When the re-issued attempt runs; null when the run was abandoned.</param>
    /// <param name="Run">The run's status, node, error kind and message after recovery.</param>
    public sealed record RecoverOutcome(int Attempt, DateTimeOffset? ResumeAt, RunState Run, LedgerState? Job);

    private static readonly RunState Reissued = new(RunStatus.Running, OtherNode, null, null);
    private static readonly RunState Abandoned = new(RunStatus.Abandoned, Node, "abandoned", "the node running this attempt stopped", RecoveredAt);

    public static readonly RecoverCase[] Recover =
    [
        new("a pending retry is reissued as is", NewJob("o1", maxAttempts: 3), true, false,
            new(2, RetryAt, Reissued with { ErrorKind = "http_status", ErrorMessage = "HTTP 503" }, new(JobStatus.Active, 1, 1, 1, At(1), null, null))),
        new("a pending retry of the last attempt is still reissued", NewJob("o2", maxAttempts: 2), true, false,
            new(2, RetryAt, Reissued with { ErrorKind = "http_status", ErrorMessage = "HTTP 503" }, new(JobStatus.Active, 1, 1, 1, At(1), null, null))),
        new("an interrupted attempt with attempts left is reissued as the next", NewJob("o3", maxAttempts: 2), false, false,
            new(2, RecoveredAt, Reissued, new(JobStatus.Active, 1, 1, 1, At(1), null, null))),
        new("an interrupted last attempt is abandoned and released", NewJob("o4", maxAttempts: 1), false, false,
            new(1, null, Abandoned, new(JobStatus.Active, 1, 0, 1, At(1), TriggeredAt, "abandoned"))),
        new("an abandoned last execution completes the job", NewJob("o5", executions: 1, maxAttempts: 1), false, false,
            new(1, null, Abandoned, new(JobStatus.Completed, 1, 0, 1, At(1), TriggeredAt, "abandoned"))),
        new("a run of a deleted job is abandoned", NewJob("o6", maxAttempts: 5), false, true,
            new(1, null, Abandoned, null)),
    ];

    // ---------------------------------------------------------------- trigger

    public sealed record TriggerCase(string Name, Job Job, LedgerState Expected)
    {
        /// <summary>The outcome every trigger shares: a running slot-0 run, first attempt, started now on the triggering node.</summary>
        public TriggerOutcome Outcome => new(Expected, 0, 1, RunStatus.Running, TriggeredAt, TriggeredAt, Node, TriggeredAt);
    }

    /// <param name="RunAt">When the claimed attempt should run.</param>
    public sealed record TriggerOutcome(LedgerState Job, long Slot, int Attempt, RunStatus Status, DateTimeOffset ScheduledAt,
        DateTimeOffset? StartedAt, string? Node, DateTimeOffset RunAt);

    public static readonly TriggerCase[] Trigger =
    [
        new("an active job runs once more now", NewJob("t1"), new(JobStatus.Active, 1, 1, 1, At(1), null, null)),
        new("a paused job runs once more and stays paused", NewJob("t2") with { Status = JobStatus.Paused },
            new(JobStatus.Paused, 1, 1, 1, At(1), null, null)),
        new("a trigger counts beyond the executions of a completed job",
            NewJob("t3", executions: 1) with { Status = JobStatus.Completed, ExecutionsDone = 1 }, new(JobStatus.Completed, 2, 1, 1, At(1), null, null)),
    ];

    // ---------------------------------------------------------------- claim

    /// <param name="Running">Runs triggered before the claim (each counted in executions and in flight).</param>
    /// <param name="Horizon">The claim's now and horizon.</param>
    public sealed record ClaimCase(string Name, Job Job, int Running, DateTimeOffset Horizon, ClaimOutcome Expected)
    {
        /// <summary>Claims made before the one the case is about, at these horizons, in order.</summary>
        public IReadOnlyList<DateTimeOffset> Earlier { get; init; } = [];

        /// <summary>After the earlier claim at this index, every running run finishes <c>succeeded</c> (run i started at <see cref="StartedAt"/>(i)).</summary>
        public int? ReleaseAfter { get; init; }
    }

    /// <param name="Fired">(slot, scheduled at) of the runs the last claim fired.</param>
    /// <param name="Skipped">(first slot, its scheduled time, slots it stands for) of every skipped run of the job after all claims.</param>
    /// <param name="DueAt">The job's place in the due queue after the claim (null: none, or blocked).</param>
    public sealed record ClaimOutcome(IReadOnlyList<(long Slot, DateTimeOffset At)> Fired, IReadOnlyList<(long Slot, DateTimeOffset At, long Count)> Skipped,
        DateTimeOffset? DueAt, LedgerState Job);

    public static readonly ClaimCase[] Claim =
    [
        new("a job not yet due claims nothing", NewJob("c1"), 0, At(0.5),
            new([], [], At(1), new(JobStatus.Active, 0, 0, 1, At(1), null, null))),
        new("a due slot fires and the job advances one interval", NewJob("c2"), 0, At(1),
            new([(1, At(1))], [], At(2), new(JobStatus.Active, 1, 1, 2, At(2), null, null))),
        new("overlap allow fires every due slot", NewJob("c3"), 0, At(3.5),
            new([(1, At(1)), (2, At(2)), (3, At(3))], [], At(4), new(JobStatus.Active, 3, 3, 4, At(4), null, null))),
        new("overlap allow fires while a run is running", NewJob("c4"), 1, At(1),
            new([(1, At(1))], [], At(2), new(JobStatus.Active, 2, 2, 2, At(2), null, null))),
        new("overlap skip records due slots skipped while a run is running as one run", NewJob("c5", overlap: OverlapPolicy.Skip), 1, At(3.5),
            new([], [(1, At(1), 3)], At(4), new(JobStatus.Active, 1, 1, 4, At(4), null, null))),
        new("overlap queue waits while a run is running", NewJob("c6", overlap: OverlapPolicy.Queue), 1, At(3.5),
            new([], [], null, new(JobStatus.Active, 1, 1, 1, At(1), null, null))),
        new("overlap queue fires one slot then waits", NewJob("c7", overlap: OverlapPolicy.Queue), 0, At(3.5),
            new([(1, At(1))], [], null, new(JobStatus.Active, 1, 1, 2, At(2), null, null))),
        new("misfire fire_once fires the latest missed slot", NewJob("c8", intervalMs: Hour, misfire: MisfirePolicy.FireOnce), 0, At(4.5 * 3600),
            new([(4, At(4 * 3600))], [], At(5 * 3600), new(JobStatus.Active, 1, 1, 5, At(5 * 3600), null, null))),
        new("misfire skip fires nothing and moves to the next grid slot", NewJob("c9", intervalMs: Hour, misfire: MisfirePolicy.Skip), 0, At(4.5 * 3600),
            new([], [], At(5 * 3600), new(JobStatus.Active, 0, 0, 5, At(5 * 3600), null, null))),
        new("misfire catch_up fires every missed slot with overlap allow", NewJob("c10", intervalMs: Hour), 0, At(4.5 * 3600),
            new([(1, At(3600)), (2, At(2 * 3600)), (3, At(3 * 3600)), (4, At(4 * 3600))], [], At(5 * 3600),
                new(JobStatus.Active, 4, 4, 5, At(5 * 3600), null, null))),
        new("misfire catch_up runs missed slots one after another without overlap", NewJob("c11", intervalMs: Hour, overlap: OverlapPolicy.Skip),
            0, At(4.5 * 3600), new([(1, At(3600))], [], null, new(JobStatus.Active, 1, 1, 2, At(2 * 3600), null, null))),
        new("a job with executions exhausted claims nothing", NewJob("c12", executions: 1), 1, At(3.5),
            new([], [], null, new(JobStatus.Active, 1, 1, 1, At(1), null, null))),
        new("a job due past end_at completes", NewJob("c13") with { EndAt = At(0.5) }, 0, At(1),
            new([], [], null, new(JobStatus.Completed, 0, 0, 1, At(1), null, null))),
        new("a paused job claims nothing", NewJob("c14") with { Status = JobStatus.Paused }, 0, At(3.5),
            new([], [], null, new(JobStatus.Paused, 0, 0, 1, At(1), null, null))),
        new("skipped slots of later claims extend the open skipped run", NewJob("c15", overlap: OverlapPolicy.Skip), 1, At(3.5),
            new([], [(1, At(1), 3)], At(4), new(JobStatus.Active, 1, 1, 4, At(4), null, null))) { Earlier = [At(1), At(2)] },
        new("a fired slot between skipped slots starts a new skipped run", NewJob("c16", overlap: OverlapPolicy.Skip), 1, At(4.5),
            new([], [(1, At(1), 1), (3, At(3), 2)], At(5), new(JobStatus.Active, 2, 1, 5, At(5), StartedAt(0), "succeeded")))
            { Earlier = [At(1), At(2)], ReleaseAfter = 0 },
        new("skipped slots after a misfire jump start a new skipped run",
            NewJob("c17", intervalMs: Hour, overlap: OverlapPolicy.Skip, misfire: MisfirePolicy.FireOnce), 1, At(4.5 * 3600),
            new([], [(1, At(3600), 1), (4, At(4 * 3600), 1)], At(5 * 3600), new(JobStatus.Active, 1, 1, 5, At(5 * 3600), null, null)))
            { Earlier = [At(3600)] },
        new("overlap skip behind its grid fires the latest due slot and records the earlier ones skipped", NewJob("c18", overlap: OverlapPolicy.Skip),
            0, At(3.5), new([(3, At(3))], [(1, At(1), 2)], At(4), new(JobStatus.Active, 1, 1, 4, At(4), null, null))),
        new("overlap skip behind its grid fires the latest slot before end_at", NewJob("c19", overlap: OverlapPolicy.Skip) with { EndAt = At(2.5) },
            0, At(3.5), new([(2, At(2))], [(1, At(1), 1)], At(3), new(JobStatus.Active, 1, 1, 3, At(3), null, null))),
    ];

    public static TheoryData<string> ReleaseNames => Names(Release.Select(c => c.Name));
    public static TheoryData<string> RecoverNames => Names(Recover.Select(c => c.Name));
    public static TheoryData<string> TriggerNames => Names(Trigger.Select(c => c.Name));
    public static TheoryData<string> ClaimNames => Names(Claim.Select(c => c.Name));

    private static TheoryData<string> Names(IEnumerable<string> names)
    {
        var data = new TheoryData<string>();
        foreach (var name in names) data.Add(name);
        return data;
    }
}

/// <summary>The schedule state of a job that the lifecycle rules change.</summary>
public sealed record LedgerState(JobStatus Status, long ExecutionsDone, int InFlight, long NextSlot, DateTimeOffset NextDueAt,
    DateTimeOffset? LastRunAt, string? LastRunStatus)
{
    public static LedgerState Of(Job job) =>
        new(job.Status, job.ExecutionsDone, job.InFlight, job.NextSlot, job.NextDueAt, job.LastRunAt, job.LastRunStatus);
}

/// <summary>What recovery leaves on a run.</summary>
public sealed record RunState(RunStatus Status, string? Node, string? ErrorKind, string? ErrorMessage, DateTimeOffset? FinishedAt = null);
