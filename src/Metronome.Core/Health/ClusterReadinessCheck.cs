using Metronome.Core.Engine.Cluster;
using Metronome.Core.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Metronome.Core.Health;

/// <summary>
/// Readiness in a cluster: the node holds its presence (<see cref="NodePresence"/>), so it claims and fires. Before it
/// joined, and while it has lost its presence and not yet joined again, it is not ready. A single node is always ready here.
/// </summary>
internal sealed class ClusterReadinessCheck(NodePresence presence, IClusterStore? cluster) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (cluster is null) return Task.FromResult(HealthCheckResult.Healthy("a single node (no cluster)"));
        return Task.FromResult(presence.IsPresent
            ? HealthCheckResult.Healthy("the node has joined the cluster (presence held)")
            : HealthCheckResult.Unhealthy("the node holds no presence in the cluster (not joined yet, or lost and joining again)"));
    }
}
