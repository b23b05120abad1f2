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

    // --- failure handling (SPEC §6) ---
    /// <summary>The event run once when a slot ends <c>failed</c>, <c>timed_out</c> or <c>abandoned</c> (after its last attempt).</summary>
    public JobEventRef? OnFailure { get; set; }
    /// <summary>The job pauses itself after this many consecutive slots ended without success; 0 (default) = never.</summary>
    public int? PauseAfterFailures { get; set; }
    /// <summary>Read-only: executions ended without success since the last success.</summary>
    public int? ConsecutiveFailures { get; set; }
    /// <summary>Read-only: the instant a paused job resumes by itself (set by <c>POST …/pause {until}</c>).</summary>
    public DateTimeOffset? PausedUntil { get; set; }
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

    // --- failure handling (SPEC §6) ---
    /// <summary>A new failure hook; <c>{}</c> (no event) removes it.</summary>
    public JobEventRef? OnFailure { get; set; }
    public int? PauseAfterFailures { get; set; }
}

/// <summary>An event of the job's product, by type and tag (the job's <c>on_failure</c>).</summary>
public sealed class JobEventRef
{
    public string? EventType { get; set; }
    public string? EventTag { get; set; }
}

/// <summary>The body of <c>POST …/jobs/{tag}/pause</c>: with <see cref="Until"/> the job resumes by itself then.</summary>
public sealed class JobPauseRequest
{
    /// <summary>An ISO-8601 instant in the future, or null to pause until resumed.</summary>
    public DateTimeOffset? Until { get; set; }
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
