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
