namespace Metronome.Storage.Sqlite.Internal;

/// <summary>
/// The single writer's async lock, with two queues: claims go before batches of outcomes. A claim decides whether the
/// next slots fire on time; an outcome batch waiting a few milliseconds more only delays history. Within a queue,
/// first come first served. Not reentrant.
/// </summary>
internal sealed class WriteGate
{
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource> _urgent = new();
    private readonly Queue<TaskCompletionSource> _normal = new();
    private bool _held;

    public Task EnterAsync(bool urgent, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (!_held)
            {
                _held = true;
                return Task.CompletedTask;
            }
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (urgent ? _urgent : _normal).Enqueue(waiter);
        }
        if (!ct.CanBeCanceled) return waiter.Task;
        return WaitAsync(waiter, ct);
    }

    private async Task WaitAsync(TaskCompletionSource waiter, CancellationToken ct)
    {
        // A cancelled waiter stays queued, cancelled: Exit skips it (a TrySetResult that fails).
        // A cancelled waiter stays queued, cancelled: Exit skips it (its TrySetResult fails), so the gate is never lost.
        using (ct.UnsafeRegister(static s => ((TaskCompletionSource)s!).TrySetCanceled(), waiter))
            await waiter.Task.ConfigureAwait(false);
    }

    public void Exit()
    {
        while (true)
        {
            TaskCompletionSource? next;
            lock (_lock)
            {
                if (!_urgent.TryDequeue(out next) && !_normal.TryDequeue(out next))
                {
                    _held = false;
                    return;
                }
            }
            if (next.TrySetResult()) return; // handed over (still held); else it was cancelled: try the next one
        }
    }
}
