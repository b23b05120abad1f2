namespace Metronome.Core.Engine.Cluster;

/// <summary>
/// Timing of a cluster of nodes on one store (PostgreSQL). Ignored by single-node stores. Every default is documented;
/// <see cref="Validate"/> runs when the engine starts. With the defaults a run left by a dead node is taken over within
/// about <see cref="NodeTimeout"/> + <see cref="HeartbeatInterval"/> (≤ 25 s), plus a lease hand-over if the leader died.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>How often a node records that it is alive; also how often the leader looks for dead nodes. Default 5 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A node silent this long is dead and its running runs are recovered by the leader. Default 20 s.</summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Life of the leader's lease; the leader renews it every third of it. Default 15 s.</summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>While change notifications are down, the whole schedule is reloaded this often (and listening retried). Default 5 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws naming the first invalid setting.</summary>
    public void Validate()
    {
        if (HeartbeatInterval <= TimeSpan.Zero) throw new InvalidOperationException("Metronome cluster: HeartbeatInterval must be positive.");
        if (NodeTimeout < HeartbeatInterval * 2)
            throw new InvalidOperationException("Metronome cluster: NodeTimeout must be at least twice HeartbeatInterval (one late heartbeat must not kill a node).");
        if (LeaseTtl < TimeSpan.FromMilliseconds(300)) throw new InvalidOperationException("Metronome cluster: LeaseTtl must be at least 300 ms.");
        if (PollInterval <= TimeSpan.Zero) throw new InvalidOperationException("Metronome cluster: PollInterval must be positive.");
    }
}
