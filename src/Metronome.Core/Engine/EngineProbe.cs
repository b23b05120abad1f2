namespace Metronome.Core.Engine;

/// <summary>
/// Counters of the engine's progress that tests (and metrics) can await instead of sleeping:
/// claim cycles, attempts started, outcomes persisted.
/// </summary>
public sealed class EngineProbe
{
    private readonly Lock _lock = new();
    private readonly List<(Func<EngineProbe, bool> Condition, TaskCompletionSource Tcs)> _waiters = [];

    public long ClaimCycles { get; private set; }
    public long SlotsClaimed { get; private set; }
    public long AttemptsStarted { get; private set; }
    public long OutcomesPersisted { get; private set; }
    public long Failures { get; private set; }

    internal void OnClaim(int slots) => Update(() => { ClaimCycles++; SlotsClaimed += slots; });
    internal void OnAttemptStarted() => Update(() => AttemptsStarted++);
    internal void OnPersisted(int outcomes) => Update(() => OutcomesPersisted += outcomes);
    internal void OnFailure() => Update(() => Failures++);

    /// <summary>Completes when <paramref name="condition"/> holds.</summary>
    public Task WaitForAsync(Func<EngineProbe, bool> condition)
    {
        lock (_lock)
        {
            if (condition(this)) return Task.CompletedTask;
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((condition, tcs));
            return tcs.Task;
        }
    }

    private void Update(Action change)
    {
        List<TaskCompletionSource>? ready = null;
        lock (_lock)
        {
            change();
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Condition(this)) continue;
                (ready ??= []).Add(_waiters[i].Tcs);
                _waiters.RemoveAt(i);
            }
        }
        ready?.ForEach(t => t.TrySetResult());
    }
}
