using Metronome.Core.Runs;
using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine;

/// <summary>What the dispatcher reports of every finished attempt: the instruments and the attempt's one log line.</summary>
internal sealed partial class RunDispatcher
{
    /// <summary>
    /// An attempt's outcome was handed to the writer: counted, measured, and logged in one line (Information when it
    /// succeeded, Warning otherwise). The line carries the error's kind and its message, already redacted (every outcome
    /// is, in <see cref="ExecuteAsync"/>), never an exception or a stack trace: a peer's failure is an expected outcome.
    /// </summary>
    /// <param name="lateness">Start minus due; null when the attempt never started (abandoned).</param>
    private void Finished(ClaimedRun claimed, RunStatus status, string? errorKind, string? error, TimeSpan? lateness, TimeSpan duration)
    {
        var run = claimed.Run;
        _metrics.AttemptFinished(run.Product, claimed.EventType, status, lateness, duration);
        var late = lateness is { } l ? (long)l.TotalMilliseconds : (long?)null;
        var took = (long)duration.TotalMilliseconds;
        if (status == RunStatus.Succeeded)
            AttemptSucceeded(_logger, run.Product, run.JobTag, run.Slot, run.Attempt, claimed.EventType, status.ToWire(), took, late, run.Id);
        else
            AttemptFailed(_logger, run.Product, run.JobTag, run.Slot, run.Attempt, claimed.EventType, status.ToWire(), errorKind, took, late, run.Id, error);
    }

    [LoggerMessage(EventId = 100, EventName = "AttemptSucceeded", Level = LogLevel.Information,
        Message = "Run of {Product}/{JobTag} slot {Slot} attempt {Attempt} ({EventType}) {Status} in {DurationMs} ms, {LatenessMs} ms late (run {RunId})")]
    private static partial void AttemptSucceeded(ILogger logger, string product, string jobTag, long slot, int attempt, string eventType,
        string status, long durationMs, long? latenessMs, string runId);

    [LoggerMessage(EventId = 101, EventName = "AttemptFailed", Level = LogLevel.Warning,
        Message = "Run of {Product}/{JobTag} slot {Slot} attempt {Attempt} ({EventType}) {Status} ({ErrorKind}) in {DurationMs} ms, {LatenessMs} ms late (run {RunId}): {Error}")]
    private static partial void AttemptFailed(ILogger logger, string product, string jobTag, long slot, int attempt, string eventType,
        string status, string? errorKind, long durationMs, long? latenessMs, string runId, string? error);
}
