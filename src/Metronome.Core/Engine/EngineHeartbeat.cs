namespace Metronome.Core.Engine;

/// <summary>
/// The due loop's sign of life for the liveness check: the loop beats on every turn, and no wait of the loop is longer
/// than <see cref="Period"/> (it wakes, beats and waits again), so a loop that has not beaten for several periods is
/// stuck or dead, whatever it was waiting for. Instants come from the engine's <see cref="TimeProvider"/>.
/// </summary>
internal sealed class EngineHeartbeat(TimeProvider time)
{
    /// <summary>The longest the due loop goes without a beat while it runs.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Beats that may be missed before the loop counts as dead: generous, because a claim in a store that answers slowly
    /// (a command timeout is 30 s) holds the loop without it being dead, and a liveness failure restarts the process.
    /// </summary>
    public const int MissedBeatsAllowed = 12;

    private long _lastBeatTicks; // UTC ticks of the last beat; 0: the loop has not started
    private int _stopped;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The last beat; null before the loop started.</summary>
    public DateTimeOffset? LastBeat => Interlocked.Read(ref _lastBeatTicks) is var t and not 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    /// <summary>True once the loop ended (a stop, or a failure that escaped it).</summary>
    public bool Stopped => Volatile.Read(ref _stopped) != 0;

    /// <summary>Completes at the next beat (a signal tests await instead of sleeping).</summary>
    public Task NextBeat => Volatile.Read(ref _next).Task;

    /// <summary>The loop is alive now.</summary>
    public void Beat()
    {
        Interlocked.Exchange(ref _lastBeatTicks, time.GetUtcNow().UtcTicks);
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>The loop ended.</summary>
    public void Stop() => Volatile.Write(ref _stopped, 1);

    /// <summary>How long since the last beat (null before the loop started).</summary>
    public TimeSpan? Silence => LastBeat is { } last ? time.GetUtcNow() - last : null;
}
