namespace Metronome.Core.Engine;

/// <summary>
/// Counters of the engine's progress that tests (and metrics) can await instead of sleeping:
/// claim cycles, attempts started, outcomes persisted, and three named signals in the style of River's test signals:
/// <see cref="WaitForIdleAsync"/> (nothing more is about to happen), <see cref="WaitForClaimedAsync"/> and
/// <see cref="WaitForCompletedAsync"/>.
/// </summary>
/// <remarks>
/// Counters are lock-free (one <see cref="Interlocked"/> add per event, on the hot path of every fire); waiters are
/// evaluated under a lock only while someone waits.
/// </remarks>
internal sealed class EngineProbe
{
    private readonly Lock _lock = new();
    private readonly List<(Func<EngineProbe, bool> Condition, TaskCompletionSource Tcs)> _waiters = [];
    private int _waiting;
    private long _claimCycles, _slotsClaimed, _attemptsStarted, _outcomesPersisted, _failures;
    private long _wakes;               // commands that woke the due loop
    private long _waitingSince = -1;   // the wake count the waiting loop had seen before it read the queue; -1 = not waiting
    private Func<bool>? _nothingHeld;

    public long ClaimCycles => Interlocked.Read(ref _claimCycles);
    public long SlotsClaimed => Interlocked.Read(ref _slotsClaimed);
    public long AttemptsStarted => Interlocked.Read(ref _attemptsStarted);
    public long OutcomesPersisted => Interlocked.Read(ref _outcomesPersisted);
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>
    /// True while the engine's due loop waits with nothing due within its look-ahead, no claimed attempt is waiting for
    /// its instant, running, or waiting for a retry, and no outcome is waiting to be written: until a command changes
    /// the schedule or the next due instant comes, this node does nothing more. An engine that never started is idle.
    /// </summary>
    public bool IsIdle => _nothingHeld is null || (Interlocked.Read(ref _waitingSince) == Interlocked.Read(ref _wakes) && _nothingHeld());

    /// <summary>Completes when the engine is <see cref="IsIdle"/> (at once if it is already).</summary>
    public Task WaitForIdleAsync() => WaitForAsync(static p => p.IsIdle);

    /// <summary>Named signal <c>Claimed</c>: completes once the due loop has claimed at least <paramref name="slots"/> slots in all.</summary>
    public Task WaitForClaimedAsync(long slots) => WaitForAsync(p => p.SlotsClaimed >= slots);

    /// <summary>Named signal <c>Completed</c>: completes once at least <paramref name="outcomes"/> outcomes have been written to the store.</summary>
    public Task WaitForCompletedAsync(long outcomes) => WaitForAsync(p => p.OutcomesPersisted >= outcomes);

    /// <summary>Called once by the engine that owns this probe: what it holds (attempts and outcomes) is none.</summary>
    internal void Attach(Func<bool> nothingHeld) => _nothingHeld = nothingHeld;

    /// <summary>The wake count; the due loop reads it before it reads the queue.</summary>
    internal long Wakes => Interlocked.Read(ref _wakes);

    /// <summary>A command changed the schedule and wakes the loop: not idle from this moment.</summary>
    internal void OnWake() => Interlocked.Increment(ref _wakes);

    /// <summary>
    /// The due loop starts waiting, having read the queue after <paramref name="seenWakes"/> wakes (null: it stopped
    /// waiting). A wake that came after that read makes the counts differ, so the loop is not taken for idle.
    /// </summary>
    internal void OnLoopWaiting(long? seenWakes)
    {
        Interlocked.Exchange(ref _waitingSince, seenWakes ?? -1);
        if (seenWakes is not null) Notify();
    }

    /// <summary>An attempt left the dispatcher (finished, or dropped).</summary>
    internal void OnAttemptLeft() => Notify();

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
