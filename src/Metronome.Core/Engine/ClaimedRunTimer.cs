using Metronome.Core.Storage;

namespace Metronome.Core.Engine;

/// <summary>
/// Holds claimed attempts until their <see cref="ClaimedRun.RunAt"/> with one timer for all of them, armed at the earliest
/// (a heap of waiting attempts). A timer that ticks before the earliest instant (system timers count whole
/// milliseconds) fires nothing and is re-armed, so an attempt never starts early.
/// </summary>
internal sealed class ClaimedRunTimer : IDisposable
{
    private readonly PriorityQueue<ClaimedRun, long> _pending = new();
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly Action<List<ClaimedRun>> _fire;
    private readonly ITimer _timer;
    private readonly bool _millisecondClock;
    private long _armedFor = long.MaxValue;
    private bool _disposed;

    /// <param name="fire">Receives the attempts that are due, in due order, outside the timer's lock.</param>
    public ClaimedRunTimer(TimeProvider time, Action<List<ClaimedRun>> fire)
    {
        _time = time;
        _fire = fire;
        _millisecondClock = ReferenceEquals(time, TimeProvider.System);
        _timer = time.CreateTimer(static s => ((ClaimedRunTimer)s!).FireDue(fromTimer: true), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Holds <paramref name="runs"/> until their instant; false (nothing held) once drained.</summary>
    public bool Add(IReadOnlyList<ClaimedRun> runs)
    {
        lock (_lock)
        {
            if (_disposed) return false;
            for (int i = 0; i < runs.Count; i++) _pending.Enqueue(runs[i], runs[i].RunAt.UtcTicks);
        }
        FireDue(fromTimer: false);
        return true;
    }

    private static readonly long MaxDelayTicks = TimeSpan.FromHours(1).Ticks;

    private void FireDue(bool fromTimer)
    {
        List<ClaimedRun>? due = null;
        lock (_lock)
        {
            if (_disposed) return;
            if (fromTimer) _armedFor = long.MaxValue;
            long now = _time.GetUtcNow().UtcTicks;
            while (_pending.TryPeek(out var run, out var at) && at <= now)
            {
                _pending.Dequeue();
                (due ??= new List<ClaimedRun>(Math.Min(_pending.Count + 1, 256))).Add(run);
            }
            if (_pending.TryPeek(out _, out var next) && next < _armedFor)
            {
                long delay = next - now;
                // Timers take at most ~49 days, and a retry may wait up to 366 days: arm at most an hour ahead and look again.
                if (delay > MaxDelayTicks) delay = MaxDelayTicks;
                _armedFor = now + delay;
                // System timers truncate to whole milliseconds: round up, or the tick comes before the instant.
                if (_millisecondClock) delay = (delay + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond;
                _timer.Change(TimeSpan.FromTicks(delay), Timeout.InfiniteTimeSpan);
            }
        }
        if (due is not null) _fire(due);
    }

    /// <summary>Removes and returns every waiting attempt.</summary>
    public List<ClaimedRun> TakeAll()
    {
        lock (_lock)
        {
            var all = new List<ClaimedRun>(_pending.Count);
            while (_pending.TryDequeue(out var run, out _)) all.Add(run);
            return all;
        }
    }

    /// <summary>Stops the timer and returns every attempt still waiting for its instant (none of them started).</summary>
    public List<ClaimedRun> Drain()
    {
        List<ClaimedRun> waiting;
        lock (_lock)
        {
            if (_disposed) return [];
            _disposed = true;
            waiting = new List<ClaimedRun>(_pending.Count);
            while (_pending.TryDequeue(out var run, out _)) waiting.Add(run);
        }
        _timer.Dispose();
        return waiting;
    }

    public void Dispose() => Drain();
}
