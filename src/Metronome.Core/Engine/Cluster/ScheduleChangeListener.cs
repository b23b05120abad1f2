using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine.Cluster;

/// <summary>
/// Keeps this node's due queue and catalogue caches in step with changes made on other nodes: listens to the store's change
/// feed and applies each change (a job's schedule, or a product whose catalogue changed: <paramref name="catalogChanged"/>
/// drops what this node cached of it); reloads the whole schedule and drops every cached catalogue entry
/// (<paramref name="catalogStale"/>) whenever listening (re)starts, and reloads every <see cref="ClusterOptions.PollInterval"/>
/// while the feed is down (polling backs notifications up; cached catalogue entries then expire after
/// <see cref="ClusterOptions.CatalogCacheTtl"/>).
/// </summary>
internal sealed class ScheduleChangeListener(IScheduleChangeFeed feed, ClusterOptions options, TimeProvider time,
    Action<ScheduleChange> apply, Func<CancellationToken, Task> reload, Action<string> catalogChanged, Action catalogStale, ILogger logger)
    : EngineService(logger)
{
    private bool _down;

    protected override async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await feed.ListenAsync(async () =>
                {
                    catalogStale();
                    await reload(stop);
                    if (_down) Logger.LogInformation("Schedule change notifications are back; schedule reloaded");
                    _down = false;
                }, apply, catalogChanged, stop);
                return;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (!_down)
                    Logger.LogWarning("Schedule change notifications are down ({Error}); polling the schedule every {Interval} until they are back",
                        ex.Message, options.PollInterval);
                _down = true;
            }
            if (!await WaitAsync(options.PollInterval, time, stop)) return;
            try
            {
                await reload(stop);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                Logger.LogDebug("Polling the schedule failed: {Error}", ex.Message);
            }
        }
    }
}
