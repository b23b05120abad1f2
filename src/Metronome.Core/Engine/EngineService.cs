using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine;

/// <summary>
/// The lifecycle every background loop of the engine shares (River's <c>startstop</c>): <see cref="Start"/> once,
/// <see cref="StopAsync"/> any number of times (also before a start). The loop gets a token cancelled at stop; a service
/// with a final flush ends its loop itself and is cancelled only when the host's shutdown token fires. An exception
/// escaping the loop is logged, never thrown at the host.
/// </summary>
/// <param name="threadName">Run the loop on a thread of its own (<see cref="LoopThread"/>) instead of the thread pool.</param>
internal abstract class EngineService(ILogger logger, string? threadName = null)
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private LoopThread? _thread;
    private int _state; // 0 new, 1 started, 2 stopped

    protected ILogger Logger { get; } = logger;

    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) return;
        if (threadName is null)
        {
            _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
            return;
        }
        _thread = new LoopThread(threadName);
        _loop = _thread.Start(() => RunAsync(_stop.Token));
    }

    /// <summary>Stops the loop; <paramref name="shutdown"/> (the host's shutdown token) bounds any final work.</summary>
    public async Task StopAsync(CancellationToken shutdown = default)
    {
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            // Another stop is under way (the host's StoppingAsync, say): wait for it, within this caller's token too.
            try { await _stopped.Task.WaitAsync(shutdown).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            return;
        }
        try
        {
            using (shutdown.Register(static s => ((CancellationTokenSource)s!).Cancel(), _stop))
            {
                RequestStop();
                if (_loop is not null) await _loop.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception ex)
        {
            Logger.LogError(ex, "{Service} failed while stopping", GetType().Name);
        }
        finally
        {
            _thread?.Dispose();
            try { await OnStoppedAsync(shutdown).ConfigureAwait(false); }
            catch (Exception ex) { Logger.LogWarning("{Service} could not clean up at stop: {Error}", GetType().Name, ex.Message); }
            _stopped.TrySetResult();
        }
    }

    /// <summary>Tells the loop to end: by default at once, by cancelling its token. A service with a final flush ends it itself.</summary>
    protected virtual void RequestStop() => _stop.Cancel();

    /// <summary>The loop; return when <paramref name="stop"/> is cancelled.</summary>
    protected abstract Task RunAsync(CancellationToken stop);

    /// <summary>Cleanup after the loop ended (e.g. giving a lease up), bounded by the host's shutdown token.</summary>
    protected virtual Task OnStoppedAsync(CancellationToken shutdown) => Task.CompletedTask;

    /// <summary>Waits <paramref name="delay"/>; false when stopping.</summary>
    protected static async Task<bool> WaitAsync(TimeSpan delay, TimeProvider time, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, time, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
