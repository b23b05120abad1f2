using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine.Cluster;

/// <summary>
/// On the leader, every <see cref="ClusterOptions.HeartbeatInterval"/>: finds nodes silent for <see cref="ClusterOptions.NodeTimeout"/>
/// that still own running runs and takes those runs over (<see cref="IJobStore.RecoverRunsAsync"/>: retried as the next attempt
/// with the same idempotency key when attempts remain, else recorded abandoned). Taken-over attempts run on this node.
/// </summary>
internal sealed class RunRescuer(IJobStore store, IClusterStore cluster, LeaderElector elector, string node, ClusterOptions options,
    TimeProvider time, Action<IReadOnlyList<ClaimedRun>> dispatch, ILogger logger) : EngineService(logger)
{
    protected override async Task RunAsync(CancellationToken stop)
    {
        while (await WaitAsync(options.HeartbeatInterval, time, stop))
        {
            if (!elector.IsLeader) continue;
            try
            {
                var dead = await cluster.ListDeadNodesAsync(options.NodeTimeout, stop);
                if (dead.Count == 0) continue;
                var recovered = await store.RecoverRunsAsync(new RecoverParams(node, time.GetUtcNow(), dead), stop);
                Logger.LogWarning("Node(s) {Dead} stopped heartbeating: took over {Resumed} interrupted runs and abandoned {Abandoned}",
                    string.Join(", ", dead), recovered.Resume.Count, recovered.Abandoned);
                dispatch(recovered.Resume);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                Logger.LogWarning("Looking for runs of dead nodes failed ({Error}); retrying in {Interval}", ex.Message, options.HeartbeatInterval);
            }
        }
    }
}
