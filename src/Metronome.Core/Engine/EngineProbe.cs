namespace Metronome.Core.Engine;

/// <summary>
/// Counters of the engine's progress that tests (and metrics) can await instead of sleeping:
/// claim cycles, attempts started, outcomes persisted.
/// </summary>
/// <remarks>
/// Counters are lock-free (one <see cref="Interlocked"/> add per event, on the hot path of every fire); waiters are
/// evaluated under a lock only while someone waits.
/// </remarks>
public sealed class EngineProbe
{
    private readonly Lock _lock = new();
    private readonly List<(Func<EngineProbe, bool> Condition, TaskCompletionSource Tcs)> _waiters = [];
    private int _waiting;
    private long _claimCycles, _slotsClaimed, _attemptsStarted, _outcomesPersisted, _failures;

    public long ClaimCycles => Interlocked.Read(ref _claimCycles);
    public long SlotsClaimed => Interlocked.Read(ref _slotsClaimed);
    public long AttemptsStarted => Interlocked.Read(ref _attemptsStarted);
    public long OutcomesPersisted => Interlocked.Read(ref _outcomesPersisted);
    public long Failures => Interlocked.Read(ref _failures);

    internal void OnClaim(int slots)
    {
        Interlocked.Add(ref _slotsClaimed, slots);
        Interlocked.Increment(ref _claimCycles);
        Notify();
    }

    internal void OnAttemptStarted()
    {
        Interlocked.Increment(ref _attemptsStarted);
        Notify();
    }

    internal void OnPersisted(int outcomes)
    {
        Interlocked.Add(ref _outcomesPersisted, outcomes);
        Notify();
    }

    internal void OnFailure()
    {
        Interlocked.Increment(ref _failures);
        Notify();
    }

    /// <summary>Completes when <paramref name="condition"/> holds.</summary>
    public Task WaitForAsync(Func<EngineProbe, bool> condition)
    {
        lock (_lock)
        {
            if (condition(this)) return Task.CompletedTask;
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((condition, tcs));
            Interlocked.Exchange(ref _waiting, _waiters.Count); // a full fence: a counter changed after this is seen by Notify
            // Re-checked after publishing the waiter: an update that raced with the first check found no waiter.
            if (condition(this))
            {
                _waiters.RemoveAt(_waiters.Count - 1);
                Interlocked.Exchange(ref _waiting, _waiters.Count);
                return Task.CompletedTask;
            }
            return tcs.Task;
        }
    }

    private void Notify()
    {
        if (Volatile.Read(ref _waiting) == 0) return;
        List<TaskCompletionSource>? ready = null;
        lock (_lock)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Condition(this)) continue;
                (ready ??= []).Add(_waiters[i].Tcs);
                _waiters.RemoveAt(i);
            }
            Interlocked.Exchange(ref _waiting, _waiters.Count);
        }
        ready?.ForEach(t => t.TrySetResult());
    }
}
