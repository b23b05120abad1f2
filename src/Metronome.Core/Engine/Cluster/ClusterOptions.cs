namespace Metronome.Core.Engine.Cluster;

/// <summary>
/// Timing of a cluster of nodes on one store (PostgreSQL). Ignored by single-node stores. Every default is documented;
/// the values are checked when the host starts. With the defaults a run left by a process that died is taken over within
/// about 1–2 s (<see cref="PresenceTimeout"/>); a paused process or a lost host is declared dead by the heartbeat backstop
/// after <see cref="NodeTimeout"/> + up to <see cref="HeartbeatInterval"/> (≤ 25 s).
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>The name of the lease the cluster's leader holds (<see cref="Storage.IClusterStore.TryAcquireLeaseAsync"/>).</summary>
    public const string LeaderLease = "metronome-leader";

    /// <summary>How often a node records that it is alive; also how often the leader looks for dead nodes. Default 5 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The heartbeat backstop: a node silent this long is dead even if its presence seems held (a paused process, a lost host);
    /// the leader ends its presence and recovers its running runs. Default 20 s. A process that dies is seen much sooner, by its
    /// presence (<see cref="PresenceTimeout"/>).
    /// </summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Failure detection by presence. Each node holds its presence on a dedicated connection (PostgreSQL: a session-level
    /// advisory lock, released by the database the moment the process dies) and confirms it every quarter of this; it claims
    /// and fires only within this long after the last confirmation started. The leader looks for nodes whose presence is gone
    /// every half of this, and declares a node dead once it found it gone on looks this far apart (so a node reconnecting
    /// after a blip or a PostgreSQL restart is not declared dead): its running runs are taken over and it leaves the claim ring
    /// 1–1.5 × this after it died (plus one look when the leader itself died). A node that loses its presence stops claiming
    /// and firing, joins again, and if it was declared dead meanwhile drops what it held. Default 1 s.
    /// </summary>
    public TimeSpan PresenceTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Life of the leader's lease; the leader renews it every third of it. Default 15 s.</summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>While change notifications are down, the whole schedule is reloaded this often (and listening retried). Default 5 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Nodes split the claiming of due jobs: each claims the jobs it owns in the ring of live nodes (by heartbeat; see
    /// Cluster/README.md), and any job overdue by more than this, so a dead, stalled or saturated owner's jobs are still served.
    /// How late a job must be before a node that does not own it claims it anyway (a dead, stalled or saturated owner). This is
    /// the extra lateness of a dead node's jobs until its heartbeat times out, and of a ring change. Default 1 s.
    /// </summary>
    public TimeSpan ClaimTakeoverGrace { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a node trusts what it cached of the catalogue (events, decrypted secrets, product and key checks) without
    /// asking the store again. Catalogue changes are announced to every node at once (see Cluster/README.md); this is the
    /// backstop that bounds how stale a node can be while those announcements are not arriving. Default 2 s.
    /// </summary>
    public TimeSpan CatalogCacheTtl { get; set; } = TimeSpan.FromSeconds(2);
}
