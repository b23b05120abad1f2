using Metronome.Core.Hosting;
using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine;

/// <summary>
/// Claims queued backfill runs (<see cref="IJobStore.ClaimBackfillRunsAsync"/>) and hands them to the dispatcher, which runs
/// them as any claimed attempt (the product's max_concurrency applies there). Every node runs it: the store's claim decides
/// which node takes each run. It wakes when a backfill is queued on this node or an outcome write releases a job (the next
/// slot of a sequential backfill may start), and polls every <see cref="PollInterval"/> for backfills queued on other nodes.
/// </summary>
internal sealed class BackfillRunner(IJobStore store, MetronomeOptions options, TimeProvider time, Action<IReadOnlyList<ClaimedRun>> dispatch,
    ILogger logger) : EngineService(logger)
{
    /// <summary>How often a node looks for queued backfill runs without being woken.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private readonly AsyncSignal _wake = new();

    /// <summary>Looks for queued backfill runs at once.</summary>
    public void Wake() => _wake.Set();

    /// <summary>Wakes the runner after an outcome write that released jobs (their next backfill slot may start).</summary>
    public void OnWritten(IReadOnlyList<ScheduleEntry> released)
    {
        if (released.Count > 0) _wake.Set();
    }

    protected override async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            _wake.Reset();
            int claimed = 0;
            try
            {
                var runs = await store.ClaimBackfillRunsAsync(new BackfillClaimParams(options.NodeName, time.GetUtcNow()), stop);
                claimed = runs.Count;
                if (claimed > 0) dispatch(runs);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Logger.LogError(ex, "Claiming backfill runs failed; will retry");
            }
            if (claimed > 0) continue; // more may start (another job, or room left by a bound above one)
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var delay = Task.Delay(PollInterval, time, wait.Token);
            await Task.WhenAny(_wake.WaitAsync(), delay).ConfigureAwait(false);
            await wait.CancelAsync().ConfigureAwait(false);
        }
    }
}
