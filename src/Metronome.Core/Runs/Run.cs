namespace Metronome.Core.Runs;

public enum RunStatus { Running, Succeeded, Failed, TimedOut, Skipped, Abandoned }

/// <summary>One run of a job slot. All attempts of a slot share the run (and its idempotency key).</summary>
public sealed record Run
{
    /// <summary>A version-7 GUID in "N" form: unique, ordered by creation time.</summary>
    public required string Id { get; init; }
    public long JobId { get; init; }
    public required string Product { get; init; }
    public required string JobTag { get; init; }
    /// <summary>1-based grid slot; 0 for a trigger.</summary>
    public long Slot { get; init; }
    public int Attempt { get; init; }
    public DateTimeOffset ScheduledAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string? Node { get; init; }
    public RunStatus Status { get; init; }
    public string? ErrorMessage { get; init; }
    public string? ErrorKind { get; init; }
    /// <summary>JSON text, at most <see cref="RunLimits.MaxOutputBytes"/>.</summary>
    public string? OutputJson { get; init; }
    /// <summary>
    /// For a <c>skipped</c> run, how many consecutive slots it stands for (<see cref="Slot"/> is the first of them); 0 for
    /// every other run. Consecutive skipped slots of a job are recorded as one run so that an overloaded job cannot flood
    /// its history.
    /// </summary>
    public long SkippedCount { get; init; }
    /// <summary>
    /// The earlier attempts of this slot, oldest first (a retry keeps the attempt it replaces); empty when this is the first.
    /// The record itself (<see cref="Attempt"/>, <see cref="Status"/>, errors) is the latest attempt.
    /// </summary>
    public IReadOnlyList<RunAttempt> PreviousAttempts { get; init; } = [];

    /// <summary>The job's <c>on_failure</c> hook for this run, once the run ended without success and the job had one; else null.</summary>
    public FailureHookState? OnFailure { get; init; }

    public long? DurationMs => StartedAt is { } s && FinishedAt is { } f ? (long)(f - s).TotalMilliseconds : null;

    /// <summary>The key every attempt of this slot carries: <c>product/job/slot</c> (triggers add the run id).</summary>
    public string IdempotencyKey => RunKeys.IdempotencyKey(Product, JobTag, Slot, Id);
}

/// <summary>Where a run's <c>on_failure</c> hook stands (the outbox row of the hook is the failed run itself).</summary>
/// <param name="Status"><see cref="FailureHookStatuses.Pending"/> until the engine ran the hook, then succeeded or failed.</param>
public sealed record FailureHookState(string Status, string? ErrorMessage = null, string? ErrorKind = null, DateTimeOffset? FinishedAt = null);

/// <summary>The states of <see cref="FailureHookState.Status"/>.</summary>
public static class FailureHookStatuses
{
    public const string Pending = "pending";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

internal static class RunKeys
{
    public static string IdempotencyKey(string product, string jobTag, long slot, string runId) =>
        slot > 0 ? $"{product}/{jobTag}/{slot}" : $"{product}/{jobTag}/trigger-{runId}";

    /// <summary>The key of a run's <c>on_failure</c> hook: the run's own key with <c>/on_failure</c> (one per failed run).</summary>
    public static string FailureHookKey(Run run) => run.IdempotencyKey + "/on_failure";

    public static string NewId(TimeProvider time) => Guid.CreateVersion7(time.GetUtcNow()).ToString("N");
}

public static class RunLimits
{
    public const int MaxOutputBytes = 16 * 1024;
}

public static class RunStatusNames
{
    public static string ToWire(this RunStatus s) => s switch
    {
        RunStatus.Running => "running",
        RunStatus.Succeeded => "succeeded",
        RunStatus.Failed => "failed",
        RunStatus.TimedOut => "timed_out",
        RunStatus.Skipped => "skipped",
        RunStatus.Abandoned => "abandoned",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static RunStatus? FromWire(string? s) => s switch
    {
        "running" => RunStatus.Running,
        "succeeded" => RunStatus.Succeeded,
        "failed" => RunStatus.Failed,
        "timed_out" => RunStatus.TimedOut,
        "skipped" => RunStatus.Skipped,
        "abandoned" => RunStatus.Abandoned,
        _ => null,
    };
}
