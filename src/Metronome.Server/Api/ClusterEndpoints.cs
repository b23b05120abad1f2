using Metronome.Contracts;
using Metronome.Core.Hosting;
using Metronome.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Metronome.Server.Api;

/// <summary>
/// <c>/api/cluster/nodes</c>: the members of the cluster, its leader and each heartbeat's age (any valid key or session).
/// A single node (SQLite store, no cluster) lists itself, as leader.
/// </summary>
internal static class ClusterEndpoints
{
    public static void MapCluster(this RouteGroupBuilder api)
    {
        api.MapGet("/cluster/nodes", ListAsync).WithTags("Cluster").WithName("listClusterNodes");
    }

    private static async Task<Ok<ClusterNodes>> ListAsync(IServiceProvider services, IOptions<MetronomeOptions> options, ServerStart start,
        TimeProvider time, CancellationToken ct)
    {
        if (services.GetService<IClusterStore>() is not { } cluster)
        {
            var now = time.GetUtcNow();
            var self = new ClusterNode { Id = options.Value.NodeName, StartedAt = start.At, HeartbeatAt = now, HeartbeatAgeMs = 0, Leader = true, Present = true };
            return TypedResults.Ok(new ClusterNodes { Leader = self.Id, Nodes = [self] });
        }
        var nodes = await cluster.ListNodesAsync(Metronome.Core.Engine.Cluster.ClusterOptions.LeaderLease, ct);
        return TypedResults.Ok(new ClusterNodes
        {
            Leader = nodes.FirstOrDefault(n => n.Leader)?.Name,
            Nodes = [.. nodes.Select(n => new ClusterNode
            {
                Id = n.Name, StartedAt = n.StartedAt, HeartbeatAt = n.HeartbeatAt, HeartbeatAgeMs = n.HeartbeatAgeMs, Leader = n.Leader, Present = n.Present,
            })],
        });
    }
}

/// <summary>When this server process was built: a single node's <c>started_at</c>.</summary>
internal sealed record ServerStart(DateTimeOffset At);
