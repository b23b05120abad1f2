using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine.Cluster;

/// <summary>Records every <see cref="ClusterOptions.HeartbeatInterval"/> that this node is alive. A failed beat is logged and retried at the next one.</summary>
internal sealed class NodeHeartbeat(IClusterStore cluster, string node, ClusterOptions options, TimeProvider time, ILogger logger) : EngineService(logger)
{
    private bool _failing;
    private int _liveNodes; // 0: not counted yet

    /// <summary>Live nodes of the cluster as counted after this node's last heartbeat; null before the first count.</summary>
    public int? LiveNodes => Volatile.Read(ref _liveNodes) is > 0 and var n ? n : null;

    protected override async Task RunAsync(CancellationToken stop)
    {
        do
        {
            try
            {
                await cluster.HeartbeatAsync(node, stop);
                if (await cluster.CountLiveNodesAsync(options.NodeTimeout, stop) is { } live) Volatile.Write(ref _liveNodes, Math.Max(live, 1));
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
