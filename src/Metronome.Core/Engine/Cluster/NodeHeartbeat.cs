using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine.Cluster;

/// <summary>Records every <see cref="ClusterOptions.HeartbeatInterval"/> that this node is alive. A failed beat is logged and retried at the next one.</summary>
internal sealed class NodeHeartbeat(IClusterStore cluster, string node, ClusterOptions options, TimeProvider time, ILogger logger) : EngineService(logger)
{
    private bool _failing;

    protected override async Task RunAsync(CancellationToken stop)
    {
        do
        {
            try
            {
                await cluster.HeartbeatAsync(node, stop);
                if (_failing) Logger.LogInformation("Heartbeats of node {Node} recorded again", node);
                _failing = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                if (!_failing) Logger.LogWarning("Heartbeat of node {Node} failed ({Error}); retrying every {Interval}", node, ex.Message, options.HeartbeatInterval);
                _failing = true;
            }
        } while (await WaitAsync(options.HeartbeatInterval, time, stop));
    }

    /// <summary>A graceful stop removes the node, so that it is not reported dead later.</summary>
    protected override async Task OnStoppedAsync(CancellationToken shutdown)
    {
        try { await cluster.RemoveNodeAsync(node, shutdown); }
        catch (Exception ex) { Logger.LogWarning("Could not remove node {Node} at stop: {Error}", node, ex.Message); }
    }
}
