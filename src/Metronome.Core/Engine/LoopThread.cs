using System.Collections.Concurrent;

namespace Metronome.Core.Engine;

/// <summary>
/// A task scheduler with one dedicated thread, for a long-lived async loop of the engine (the due loop, the completion
/// writer). An async method started on it resumes on it after every <c>await</c> (continuations capture the current
/// scheduler), so the loop keeps running on time while executors or API requests have every thread-pool thread busy:
/// a busy pool injects new threads only about twice a second. Awaits inside libraries that use <c>ConfigureAwait(false)</c>
/// still complete on the pool; the loop itself never queues behind them.
/// </summary>
internal sealed class LoopThread : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _tasks = [];
    private readonly Thread _thread;

    public LoopThread(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Starts <paramref name="loop"/> on this thread; the task completes when the loop does.</summary>
    public Task Start(Func<Task> loop) =>
        Task.Factory.StartNew(loop, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    private void Run()
    {
        foreach (var task in _tasks.GetConsumingEnumerable()) TryExecuteTask(task);
    }

    protected override void QueueTask(Task task)
    {
        try
        {
            _tasks.Add(task);
        }
        catch (InvalidOperationException)
        {
            // Disposed: a late continuation (the loop's last await) still runs, on the pool.
            ThreadPool.UnsafeQueueUserWorkItem(t => TryExecuteTask(t), task, preferLocal: false);
        }
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Thread.CurrentThread == _thread && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _tasks.ToArray();

    public override int MaximumConcurrencyLevel => 1;

    /// <summary>Ends the thread once the queued work has run.</summary>
    public void Dispose() => _tasks.CompleteAdding();
}
