namespace Metronome.Core.Engine;

/// <summary>The dispatcher's stop (see the remarks on <see cref="RunDispatcher"/>).</summary>
internal sealed partial class RunDispatcher
{
    /// <summary>Nothing starts from now on: attempts not started (and any dispatched later) are handed back; running ones go on.</summary>
    public void BeginStop()
    {
        if (Interlocked.Exchange(ref _draining, 1) != 0) return;
        foreach (var run in _timer.Drain()) NotStarted(run, outstanding: false);
        GiveBackParked();
        StartWaiting(); // hands back the attempts waiting for a slot
        if (Volatile.Read(ref _outstanding) == 0) _drained.TrySetResult();
    }

    /// <summary>
    /// Stops starting attempts (<see cref="BeginStop"/>): those not started (waiting for their instant or a slot) are handed back at once. Running
    /// ones finish until <paramref name="cancelAt"/> (on the engine's clock; null: until <paramref name="shutdown"/>), then are
    /// cancelled and hand themselves back as they unwind, which is awaited until <paramref name="shutdown"/> fires.
    /// </summary>
    public async Task<DispatcherStop> StopAsync(DateTimeOffset? cancelAt, CancellationToken shutdown)
    {
        BeginStop();
        try
        {
            if (cancelAt is { } at) await _drained.Task.WaitAsync(Max(at - _time.GetUtcNow(), TimeSpan.Zero), _time, shutdown);
            else await _drained.Task.WaitAsync(shutdown);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException) { }
        _stopping.Cancel();
        StartWaiting();
        try { await _drained.Task.WaitAsync(shutdown); }
        catch (OperationCanceledException) { }
        return _handBacks.Take(stillRunning: Math.Max(0, Volatile.Read(ref _outstanding)));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
