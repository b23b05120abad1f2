namespace Metronome.Core.Engine;

/// <summary>An auto-reset wake-up signal for one waiting loop: <see cref="Set"/> from anywhere, <see cref="WaitAsync"/> from the loop.</summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();

    public void Set()
    {
        lock (_lock) _tcs.TrySetResult();
    }

    /// <summary>A task that completes at the next <see cref="Set"/> (or at once if one happened since the last <see cref="Reset"/>).</summary>
    public Task WaitAsync()
    {
        lock (_lock) return _tcs.Task;
    }

    /// <summary>Consumes a pending signal, so the next wait blocks until a new <see cref="Set"/>.</summary>
    public void Reset()
    {
        lock (_lock)
            if (_tcs.Task.IsCompleted) _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
