using System.Text.Json;

namespace Metronome.Contracts;

/// <summary>
/// A job as the seed defines it (<c>IProductJob</c>): used to create a job and returned when reading one.
/// Read-only fields (status, executions_done, ...) are filled by the server and ignored on create.
/// </summary>
public sealed class ProductJob
{
    public string? Name { get; set; }
    public string? Tag { get; set; }
    public string? EventType { get; set; }
    public string? EventTag { get; set; }
    /// <summary>How many times to execute; 0 = unlimited.</summary>
    public long? Executions { get; set; }
    /// <summary>Milliseconds between executions.</summary>
    public long? Intervals { get; set; }
    /// <summary>ISO-8601 instant of the first execution, or "now".</summary>
    public string? StartAt { get; set; }
    public string? EndAt { get; set; }
    public JsonElement? Input { get; set; }
    /// <summary><c>skip</c> (default), <c>queue</c> or <c>allow</c>.</summary>
    public string? Overlap { get; set; }
    /// <summary><c>fire_once</c> (default), <c>skip</c> or <c>catch_up</c>.</summary>
    public string? Misfire { get; set; }
    public RetryOptions? Retries { get; set; }
    public long? TimeoutMs { get; set; }

    public string? Status { get; set; }
    public long? ExecutionsDone { get; set; }
    public DateTimeOffset? NextRunAt { get; set; }
    public DateTimeOffset? LastRunAt { get; set; }
    public string? LastRunStatus { get; set; }
    /// <summary>Read-only: a run of this job is in flight now.</summary>
    public bool? Running { get; set; }
    public DateTimeOffset? CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }

    // Cron schedules (SPEC §6)
    /// <summary>A cron expression used instead of <see cref="Intervals"/> (5 fields, or 6 with seconds first, or a macro).</summary>
    public string? Cron { get; set; }
    /// <summary>IANA zone the cron expression is read in (default <c>UTC</c>).</summary>
    public string? TimeZone { get; set; }
    /// <summary>Each slot starts up to this many ms after its due time (default 0).</summary>
    public long? JitterMs { get; set; }
    /// <summary>With <c>misfire: catch_up</c>, at most this many missed slots run (default 100).</summary>
    public int? CatchUpLimit { get; set; }
    /// <summary>Read-only, on GET of one job: the next five due instants (grid instants, jitter not included).</summary>
    public IReadOnlyList<DateTimeOffset>? NextRuns { get; set; }
}

/// <summary>A partial update of a job: only the fields given change.</summary>
public sealed class ProductJobUpdate
{
    public string? Name { get; set; }
    public string? EventType { get; set; }
    public string? EventTag { get; set; }
    public long? Executions { get; set; }
    public long? Intervals { get; set; }
    public string? StartAt { get; set; }
    public string? EndAt { get; set; }
    public JsonElement? Input { get; set; }
    public string? Overlap { get; set; }
    public string? Misfire { get; set; }
    public RetryOptions? Retries { get; set; }
    public long? TimeoutMs { get; set; }

    // Cron schedules (SPEC §6): cron replaces intervals (and the other way round); naming both is a 400.
    public string? Cron { get; set; }
    public string? TimeZone { get; set; }
    public long? JitterMs { get; set; }
    public int? CatchUpLimit { get; set; }
}

/// <summary>A schedule to preview (<c>POST …/schedule:preview</c>): a cron expression with its zone, or intervals; optional start.</summary>
public sealed class SchedulePreviewRequest
{
    public string? Cron { get; set; }
    public string? TimeZone { get; set; }
    public long? Intervals { get; set; }
    /// <summary>ISO-8601 instant or "now" (default: now).</summary>
    public string? StartAt { get; set; }
}

/// <summary>The next five due instants of a previewed schedule.</summary>
public sealed class SchedulePreview
{
    public IReadOnlyList<DateTimeOffset> NextRuns { get; set; } = [];
}

/// <summary>Retry policy of a job: attempts of one slot, exponential backoff with jitter.</summary>
public sealed class RetryOptions
{
    public int? MaxAttempts { get; set; }
    public long? BackoffMs { get; set; }
    public long? MaxBackoffMs { get; set; }
}

/// <summary>One page of a listing.</summary>
public sealed class Page<T>
{
    public IReadOnlyList<T> Items { get; set; } = [];
    public string? NextCursor { get; set; }
}
