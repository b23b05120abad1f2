namespace Metronome.Server.Hosting;

/// <summary>
/// Raises the thread pool's minimum of worker threads. Below the minimum the pool starts a thread as soon as work waits;
/// above it, it adds about two a second. Executors that occupy pool threads with synchronous or CPU-bound work (in-process
/// JavaScript functions run on the pool) could otherwise leave API requests queued for seconds behind them while the pool
/// slowly grows; with spare threads the requests start at once and the operating system shares the cores between them.
/// Idle threads above the floor cost only their reserved stacks and retire after a while.
/// </summary>
internal static class ThreadPoolFloor
{
    /// <summary>Worker threads started without delay: 64, or 16 per core on larger machines.</summary>
    public static int WorkerThreads => Math.Max(64, 16 * Environment.ProcessorCount);

    public static void Apply()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        if (workers < WorkerThreads) ThreadPool.SetMinThreads(WorkerThreads, io);
    }
}
