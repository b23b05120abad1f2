using Metronome.Core.Jobs;
using Metronome.Core.Runs;

namespace Metronome.Storage.Conformance;

public static partial class LedgerTables
{
    // ---------------------------------------------------------------- hand-back at a graceful stop

    /// <summary>What happened to the run between its trigger and the hand-back.</summary>
    public enum HandBackSetup
    {
        /// <summary>Nothing: the attempt was claimed (not started, or cancelled at the stop).</summary>
        None,
        /// <summary>Its first attempt failed and the retry (attempt 2, at <see cref="RetryAt"/>) is pending.</summary>
        PendingRetry,
        /// <summary>Its outcome was written (succeeded) before the stop.</summary>
        Finished,
        /// <summary>Another node's rescuer took it over at <see cref="TakenOverAt"/> (as the next attempt).</summary>
        TakenOver,
    }

    /// <summary>When a hand-back of an attempt cancelled at the stop wants it run again (the stop's instant).</summary>
    public static readonly DateTimeOffset HandedBackAt = At(20);

    /// <summary>When another node took a run over in the <see cref="HandBackSetup.TakenOver"/> cases.</summary>
    public static readonly DateTimeOffset TakenOverAt = At(5);

    /// <summary>
    /// One run is triggered at <see cref="TriggeredAt"/> on <see cref="Node"/>; after the setup, <see cref="Node"/> hands back
    /// <paramref name="Attempt"/> to run at <paramref name="RunAt"/>; then <see cref="OtherNode"/> recovers the runs of
    /// <see cref="Node"/> at <see cref="RecoveredAt"/> (the rescuer once the node left, or the next start).
    /// </summary>
    public sealed record HandBackCase(string Name, Job Job, HandBackSetup Setup, int Attempt, DateTimeOffset RunAt, HandBackOutcome Expected);

    /// <param name="HandedBack">What the hand-back reported changed (0 or 1).</param>
    /// <param name="Attempt">The run's attempt after the recovery.</param>
    /// <param name="ResumeAt">When the recovery re-issued it to run; null when it re-issued nothing.</param>
    public sealed record HandBackOutcome(int HandedBack, int Attempt, DateTimeOffset? ResumeAt, RunState Run, LedgerState Job);

    private static readonly LedgerState OneInFlight = new(JobStatus.Active, 1, 1, 1, At(1), null, null);

    public static readonly HandBackCase[] HandBack =
    [
        new("a claimed attempt not yet started is resumed as the same attempt, even the last", NewJob("h1", maxAttempts: 1), HandBackSetup.None,
            1, TriggeredAt, new(1, 1, TriggeredAt, Reissued, OneInFlight)),
        new("an attempt cancelled at the stop is resumed as the same attempt, not the next", NewJob("h2", maxAttempts: 3), HandBackSetup.None,
            1, HandedBackAt, new(1, 1, HandedBackAt, Reissued, OneInFlight)),
        new("a pending retry handed back keeps its attempt, time and error", NewJob("h3", maxAttempts: 3), HandBackSetup.PendingRetry,
            2, RetryAt, new(1, 2, RetryAt, Reissued with { ErrorKind = "http_status", ErrorMessage = "HTTP 503" }, OneInFlight)),
        new("a retry whose failure was never written is handed back as that retry", NewJob("h4", maxAttempts: 3), HandBackSetup.None,
            2, HandedBackAt, new(1, 2, HandedBackAt, Reissued, OneInFlight)),
        new("a finished run is not handed back", NewJob("h5", maxAttempts: 3), HandBackSetup.Finished,
            1, HandedBackAt, new(0, 1, null, new RunState(RunStatus.Succeeded, Node, null, null, StartedAt(0) + TimeSpan.FromSeconds(1)),
                new(JobStatus.Active, 1, 0, 1, At(1), StartedAt(0), "succeeded"))),
        new("a run another node took over is not handed back", NewJob("h6", maxAttempts: 2), HandBackSetup.TakenOver,
            1, HandedBackAt, new(0, 2, null, Reissued, OneInFlight)),
    ];

    public static TheoryData<string> HandBackNames => Names(HandBack.Select(c => c.Name));
}
