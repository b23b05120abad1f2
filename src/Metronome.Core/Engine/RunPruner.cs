using Metronome.Core.Hosting;
using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine;

/// <summary>
/// Applies run retention every <see cref="MetronomeOptions.PruneInterval"/>. Pruning is cluster-wide work, so in a cluster
/// only the leader does it (<paramref name="shouldPrune"/>); a single node always does.
/// </summary>
internal sealed class RunPruner(IJobStore store, MetronomeOptions options, TimeProvider time, Func<bool> shouldPrune, ILogger logger)
    : EngineService(logger)
{
    protected override async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(options.PruneInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                if (!shouldPrune()) continue;
                try
                {
                    var deleted = await store.PruneRunsAsync(new PruneParams(options.RetentionRunsPerJob, time.GetUtcNow() - options.RetentionAge), stop);
                    if (deleted > 0) Logger.LogInformation("Pruned {Count} runs past retention", deleted);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Logger.LogError(ex, "Pruning runs failed; will retry at the next interval");
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
