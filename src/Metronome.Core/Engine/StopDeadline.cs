namespace Metronome.Core.Engine;

/// <summary>
/// When a stopping engine cancels the attempts still running: a reserve before the host's shutdown deadline, so that their
/// hand-back, the outcomes still queued and leaving the cluster can be written before the host gives up. The reserve is a
/// fifth of the timeout, at least 1 s and at most 5 s, and never more than half the timeout (30 s: attempts run until
/// 25 s; 2 s: until 1 s).
/// </summary>
internal static class StopDeadline
{
    private static readonly TimeSpan MinReserve = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxReserve = TimeSpan.FromSeconds(5);

    public static TimeSpan Reserve(TimeSpan timeout)
    {
        var reserve = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 5, MinReserve.Ticks, MaxReserve.Ticks));
        return reserve > timeout / 2 ? timeout / 2 : reserve;
    }

    /// <summary>The instant to cancel running attempts at, for a stop that began at <paramref name="began"/>; null when the
    /// host waits forever (<see cref="Timeout.InfiniteTimeSpan"/>): attempts then run to their end.</summary>
    public static DateTimeOffset? CancelAt(DateTimeOffset began, TimeSpan timeout) =>
        timeout < TimeSpan.Zero || timeout > TimeSpan.FromDays(365) ? null : began + timeout - Reserve(timeout);
}
