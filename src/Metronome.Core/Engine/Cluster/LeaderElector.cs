using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine.Cluster;

/// <summary>
/// Holds (or tries to take) the cluster's one leader lease, renewing it every third of <see cref="ClusterOptions.LeaseTtl"/>.
/// <see cref="IsLeader"/> turns false on its own when renewals stop succeeding, a safety margin before the lease expires
/// in the database, so two nodes never both believe they lead, and at once when this node's presence lapses. A node that
/// does not lead asks every half <see cref="ClusterOptions.PresenceTimeout"/> (at most every third of the TTL): the store
/// hands the lease over as soon as its holder's presence is gone, so a killed leader is replaced within about a second.
/// See Cluster/README.md.
/// </summary>
internal sealed class LeaderElector(IClusterStore cluster, NodePresence presence, string node, ClusterOptions options, TimeProvider time, ILogger logger)
    : EngineService(logger)
{
    public const string LeaseName = ClusterOptions.LeaderLease;
    private long _leaderUntilTicks; // local instant up to which this node may act as leader (0: not leader)

    public bool IsLeader => time.GetUtcNow().UtcTicks < Interlocked.Read(ref _leaderUntilTicks) && presence.IsPresent;

    protected override async Task RunAsync(CancellationToken stop)
    {
        var renewEvery = options.LeaseTtl / 3;
        var askEvery = TimeSpan.FromTicks(Math.Min(renewEvery.Ticks, (options.PresenceTimeout / 2).Ticks));
        do
        {
            if (!presence.IsPresent) continue; // a node that may not act does not take the lead
            // Measured before the call: the lease the database grants runs from a later instant, never an earlier one.
            var asked = time.GetUtcNow();
            bool wasLeader = IsLeader;
            try
            {
                if (await cluster.TryAcquireLeaseAsync(LeaseName, node, options.LeaseTtl, stop))
                {
                    // Stop leading a fifth of the TTL before the database would let another node take over.
                    Interlocked.Exchange(ref _leaderUntilTicks, (asked + options.LeaseTtl - options.LeaseTtl / 5).UtcTicks);
                    if (!wasLeader) Logger.LogInformation("Node {Node} is now the cluster leader", node);
                }
                else
                {
                    Interlocked.Exchange(ref _leaderUntilTicks, 0);
                    if (wasLeader) Logger.LogWarning("Node {Node} lost the leader lease", node);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                // Keep leading until the local deadline passes: the lease is still ours in the database until then.
                Logger.LogWarning("Renewing the leader lease of node {Node} failed: {Error}", node, ex.Message);
            }
        } while (await WaitAsync(IsLeader ? renewEvery : askEvery, time, stop));
    }

    protected override async Task OnStoppedAsync(CancellationToken shutdown)
    {
        if (!IsLeader) return;
        Interlocked.Exchange(ref _leaderUntilTicks, 0);
        try { await cluster.ReleaseLeaseAsync(LeaseName, node, shutdown); }
        catch (Exception ex) { Logger.LogWarning("Could not release the leader lease at stop: {Error}", ex.Message); }
    }
}
