namespace Metronome.Core.Jobs;

/// <summary>The user-settable part of a job, validated and normalised (see <see cref="JobValidator"/>).</summary>
internal sealed record JobSpec
{
    public required string Name { get; init; }
    public required string Tag { get; init; }
    public required string EventType { get; init; }
    public required string EventTag { get; init; }
    public long Executions { get; init; }
    public long IntervalMs { get; init; }
    /// <summary>Null = creation time + intervals. A past instant (or "now") = run at once.</summary>
    public DateTimeOffset? StartAt { get; init; }
    public DateTimeOffset? EndAt { get; init; }
    public string InputJson { get; init; } = "{}";
    public OverlapPolicy Overlap { get; init; } = OverlapPolicy.Skip;
    public MisfirePolicy Misfire { get; init; } = MisfirePolicy.FireOnce;
    public RetryPolicy Retries { get; init; } = RetryPolicy.Default;
    public int TimeoutMs { get; init; }
    /// <summary>Cron expression used instead of IntervalMs (then 0).</summary>
    public string? Cron { get; init; }
    public string TimeZone { get; init; } = "UTC";
    public long JitterMs { get; init; }
    public int CatchUpLimit { get; init; } = 100;
}

/// <summary>A validated partial update: null members are left as they are.</summary>
internal sealed record JobChanges
{
    public string? Name { get; init; }
    public string? EventType { get; init; }
    public string? EventTag { get; init; }
    public long? Executions { get; init; }
    public long? IntervalMs { get; init; }
    public DateTimeOffset? StartAt { get; init; }
    public DateTimeOffset? EndAt { get; init; }
    public string? InputJson { get; init; }
    public OverlapPolicy? Overlap { get; init; }
    public MisfirePolicy? Misfire { get; init; }
    public RetryPolicy? Retries { get; init; }
    public int? TimeoutMs { get; init; }
    public string? Cron { get; init; }
    public string? TimeZone { get; init; }
    public long? JitterMs { get; init; }
    public int? CatchUpLimit { get; init; }
}
