using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine;

/// <summary>
/// The lifecycle every background loop of the engine shares: <see cref="Start"/> once, <see cref="StopAsync"/> any number of
/// times (also before a start), and <see cref="Stopped"/>, a task tests can await. The loop gets a token cancelled at stop;
/// an exception escaping it is logged, never thrown at the host.
/// </summary>
internal abstract class EngineService(ILogger logger)
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private int _state; // 0 new, 1 started, 2 stopped

    protected ILogger Logger { get; } = logger;

    /// <summary>Completes when the loop has ended after <see cref="StopAsync"/>.</summary>
    public Task Stopped => _stopped.Task;

    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) return;
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            await _stopped.Task.ConfigureAwait(false);
            return;
        }
        _stop.Cancel();
        try
        {
            if (_loop is not null) await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException) { }
        catch (Exception ex)
        {
            Logger.LogError(ex, "{Service} failed while stopping", GetType().Name);
        }
        finally
        {
            await OnStoppedAsync().ConfigureAwait(false);
            _stopped.TrySetResult();
        }
    }

    /// <summary>The loop; return when <paramref name="stop"/> is cancelled.</summary>
    protected abstract Task RunAsync(CancellationToken stop);

    /// <summary>Cleanup after the loop ended (e.g. giving a lease up).</summary>
    protected virtual Task OnStoppedAsync() => Task.CompletedTask;

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
