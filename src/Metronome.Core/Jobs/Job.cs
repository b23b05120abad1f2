namespace Metronome.Core.Jobs;

/// <summary>What happens to a slot that comes due while the previous execution still runs.</summary>
public enum OverlapPolicy
{
    /// <summary>The slot is recorded <c>skipped</c> and does not count toward executions.</summary>
    Skip,
    /// <summary>The slot waits and runs right after the running execution finishes.</summary>
    Queue,
    /// <summary>The slot runs concurrently with the running execution.</summary>
    Allow,
}

/// <summary>What happens to slots missed while no node was running (more late than the misfire threshold).</summary>
public enum MisfirePolicy
{
    /// <summary>One execution now (the latest missed slot), then back on the grid.</summary>
    FireOnce,
    /// <summary>Nothing now; the next grid slot after now.</summary>
    Skip,
    /// <summary>Every missed slot, in order.</summary>
    CatchUp,
}

public enum JobStatus { Active, Paused, Completed }

/// <summary>Attempts of one slot: exponential backoff (<c>backoff × 2^(attempt−1)</c>, capped) with jitter.</summary>
public sealed record RetryPolicy(int MaxAttempts, long BackoffMs, long MaxBackoffMs)
{
    public static RetryPolicy Default { get; } = new(1, 1000, 60_000);
}

/// <summary>
/// A job and its schedule state. Slot <c>NextSlot + j</c> is due at <c>NextDueAt + j × Intervals</c>:
/// the grid is kept as (next slot, its due time) so that updates can re-anchor while slot numbers stay
/// monotonic (the unique key of a run is product, job, slot).
/// </summary>
public sealed record Job
{
    public long Id { get; init; }
    public required string Product { get; init; }
    public required string Tag { get; init; }
    public required string Name { get; init; }
    public required string EventType { get; init; }
    public required string EventTag { get; init; }
    /// <summary>0 = unlimited.</summary>
    public long Executions { get; init; }
    public long IntervalMs { get; init; }
    public DateTimeOffset? StartAt { get; init; }
    public DateTimeOffset? EndAt { get; init; }
    /// <summary>The job's input, a JSON object in text form.</summary>
    public string InputJson { get; init; } = "{}";
    public OverlapPolicy Overlap { get; init; } = OverlapPolicy.Skip;
    public MisfirePolicy Misfire { get; init; } = MisfirePolicy.FireOnce;
    public RetryPolicy Retries { get; init; } = RetryPolicy.Default;
    public int TimeoutMs { get; init; }

    public JobStatus Status { get; init; } = JobStatus.Active;
    /// <summary>Executions claimed so far (a claimed slot counts once, whatever its attempts and outcome).</summary>
    public long ExecutionsDone { get; init; }
    /// <summary>Number of the next grid slot (1-based).</summary>
    public long NextSlot { get; init; } = 1;
    /// <summary>Due time of <see cref="NextSlot"/>; kept while paused so resume can find the grid.</summary>
    public DateTimeOffset NextDueAt { get; init; }
    /// <summary>Executions claimed and not yet finished.</summary>
    public int InFlight { get; init; }
    public DateTimeOffset? LastRunAt { get; init; }
    public string? LastRunStatus { get; init; }
    /// <summary>
    /// The <c>skipped</c> run that recorded the job's latest skipped slots (aggregated: one run for consecutive skipped slots),
    /// or null. The next skipped slots extend that run instead of adding one if they start at <see cref="SkipRunNextSlot"/>,
    /// i.e. nothing was recorded or jumped over in between.
    /// </summary>
    public string? SkipRunId { get; init; }
    /// <summary>The slot right after those <see cref="SkipRunId"/> stands for (0 when there is none); negated when that run is a
    /// <c>misfire</c> run (slots shed beyond <c>catch_up_limit</c>), so overlap and misfire skips never extend each other.</summary>
    public long SkipRunNextSlot { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    // Cron schedules (issue 14). A cron job has Cron set and IntervalMs 0; slot k is the k-th occurrence of the
    // expression (read in TimeZone) at or after the job's start. NextDueAt is the slot's due instant WITH its jitter.
    /// <summary>The cron expression used instead of <see cref="IntervalMs"/> (null for interval jobs).</summary>
    public string? Cron { get; init; }
    /// <summary>The IANA zone <see cref="Cron"/> is read in.</summary>
    public string TimeZone { get; init; } = "UTC";
    /// <summary>Each slot starts up to this many ms after its grid instant, at an offset derived from (product, tag, slot).</summary>
    public long JitterMs { get; init; }
    /// <summary>With <c>misfire: catch_up</c>, at most this many missed slots run; older ones are one skipped run (kind <c>misfire</c>).</summary>
    public int CatchUpLimit { get; init; } = 100;

    /// <summary>True when the job has executed all it may (never for unlimited jobs).</summary>
    public bool ExecutionsExhausted => Executions > 0 && ExecutionsDone >= Executions;

    /// <summary>The instant the engine should next look at this job, or null when nothing is scheduled.</summary>
    public DateTimeOffset? ScheduledDueAt => Status == JobStatus.Active && !ExecutionsExhausted ? NextDueAt : null;
}
