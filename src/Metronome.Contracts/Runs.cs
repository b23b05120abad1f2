using System.Text.Json;

namespace Metronome.Contracts;

/// <summary>One execution of a job slot (all attempts of a slot share one run).</summary>
public sealed class JobRun
{
    public string? Id { get; set; }
    public string? JobTag { get; set; }
    /// <summary>1-based grid slot; 0 for a trigger.</summary>
    public long Slot { get; set; }
    public int Attempt { get; set; }
    public DateTimeOffset? ScheduledAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public long? DurationMs { get; set; }
    public string? Node { get; set; }
    public string? Status { get; set; }
    public RunError? Error { get; set; }
    public JsonElement? Output { get; set; }
    /// <summary>
    /// For a <c>skipped</c> run, how many consecutive slots it stands for (<see cref="Slot"/> is the first of them); absent on
    /// every other run.
    /// </summary>
    public long? SkippedCount { get; set; }
    /// <summary>
    /// The earlier attempts of the slot, oldest first (each retry keeps the attempt it replaced); absent when this is the
    /// first attempt. The run itself is the latest attempt.
    /// </summary>
    public IReadOnlyList<JobRunAttempt>? Attempts { get; set; }
    /// <summary>
    /// The job's <c>on_failure</c> hook for this run (absent when the run succeeded or the job has none): <c>pending</c> until
    /// the engine has run it, then <c>succeeded</c> or <c>failed</c>.
    /// </summary>
    public RunFailureHook? OnFailure { get; set; }
}

/// <summary>The outcome of a run's <c>on_failure</c> hook.</summary>
public sealed class RunFailureHook
{
    /// <summary><c>pending</c>, <c>succeeded</c> or <c>failed</c>.</summary>
    public string? Status { get; set; }
    public RunError? Error { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
}

/// <summary>An earlier attempt of a run: when it ran, how it ended and why.</summary>
public sealed class JobRunAttempt
{
    public int Attempt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Status { get; set; }
    public RunError? Error { get; set; }
}

/// <summary>Why a run did not succeed.</summary>
public sealed class RunError
{
    public string? Message { get; set; }
    /// <summary>A stable word: <c>http_status</c>, <c>timeout</c>, <c>connection_refused</c>, <c>exception</c>, <c>abandoned</c>...</summary>
    public string? Kind { get; set; }
}
