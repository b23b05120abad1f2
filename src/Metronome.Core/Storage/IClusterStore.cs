namespace Metronome.Core.Storage;

/// <summary>
/// What several nodes sharing one store need besides <see cref="IJobStore"/>: liveness (heartbeats), one leader (a lease)
/// and who died. Implemented by stores that support a cluster (PostgreSQL); a single-node store does not implement it, and
/// the engine then recovers every interrupted run at start instead. Every instant is decided by the database's clock.
/// </summary>
public interface IClusterStore
{
    /// <summary>Records that <paramref name="node"/> is alive now.</summary>
    Task HeartbeatAsync(string node, CancellationToken ct);

    /// <summary>
    /// Takes or renews the lease <paramref name="name"/> for <paramref name="node"/> until now + <paramref name="ttl"/>, when it is
    /// free, expired or already held by <paramref name="node"/>. Returns true when <paramref name="node"/> holds it afterwards.
    /// </summary>
    Task<bool> TryAcquireLeaseAsync(string name, string node, TimeSpan ttl, CancellationToken ct);

    /// <summary>Gives the lease up at once (a graceful stop), if <paramref name="node"/> holds it.</summary>
    Task ReleaseLeaseAsync(string name, string node, CancellationToken ct);

    /// <summary>
    /// The heartbeat backstop: nodes that own <c>running</c> runs and have not heartbeated for <paramref name="nodeTimeout"/>
    /// (or never did, or were declared dead), and joined nodes not yet declared dead whose heartbeat is that old (a process
    /// paused, or a lost host): to be declared dead (<see cref="DeclareDeadAsync"/>) and their runs taken over with
    /// <see cref="IJobStore.RecoverRunsAsync"/>.
    /// </summary>
    Task<IReadOnlyList<string>> ListDeadNodesAsync(TimeSpan nodeTimeout, CancellationToken ct);

    /// <summary>
    /// Joins the cluster as <paramref name="node"/>: takes the node's presence, held by a session of the store that ends when
    /// the process dies (PostgreSQL: a session-level advisory lock on a dedicated connection). Returns null when another live
    /// process holds the presence of <paramref name="node"/> (node names must be unique). Joining clears a mark left by
    /// <see cref="DeclareDeadAsync"/>, and reports it (<see cref="INodePresenceSession.WasDeclaredDead"/>).
    /// A store without presence keeps this default: a session that is always present (liveness rests on heartbeats alone).
    /// </summary>
    Task<INodePresenceSession?> JoinAsync(string node, CancellationToken ct) => Task.FromResult<INodePresenceSession?>(new UnboundPresenceSession());

    /// <summary>
    /// Joined nodes, not declared dead, whose presence is not held right now (their session ended: the process died, or its
    /// connection broke and it has not joined again yet). One look: the caller confirms over time before declaring them dead.
    /// Cheap enough to ask a couple of times a second from one node. The default (no presence) never reports one.
    /// </summary>
    Task<IReadOnlyList<string>> ListAbsentNodesAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([]);

    /// <summary>
    /// Declares <paramref name="nodes"/> dead: each leaves the claim ring and claims nothing until it joins again, and its
    /// next presence check fails. Without <paramref name="endPresence"/> (seen absent) a node whose presence is held again by
    /// now is left alone; with it (heartbeat timeout: the process may only be paused) the session holding its presence is
    /// ended as well, where the store is permitted to. Returns those of <paramref name="nodes"/> that are declared dead now, by
    /// this call or an earlier one (and names the store has no record of): the nodes whose running runs the caller may take
    /// over, since each will see the mark when it joins again.
    /// </summary>
    Task<IReadOnlyList<string>> DeclareDeadAsync(IReadOnlyList<string> nodes, bool endPresence, CancellationToken ct) => Task.FromResult(nodes);

    /// <summary>
    /// Nodes that heartbeated within <paramref name="nodeTimeout"/> and are not declared dead (the <c>metronome.cluster.nodes</c>
    /// gauge, read after each heartbeat). A store that cannot tell keeps this default, null, and the gauge reports nothing.
    /// </summary>
    Task<int?> CountLiveNodesAsync(TimeSpan nodeTimeout, CancellationToken ct) => Task.FromResult<int?>(null);

    /// <summary>Forgets a node that stopped gracefully (its runs are settled), so it does not show as dead.</summary>
    Task RemoveNodeAsync(string node, CancellationToken ct);

    /// <summary>
    /// The nodes the store knows (joined and not removed), by name, each with its heartbeat's age by the database's clock,
    /// whether it holds its presence now, and whether it holds the lease <paramref name="leaseName"/> (the leader's). For
    /// operators (the dashboard's nodes view); a store that keeps no such list returns none.
    /// </summary>
    Task<IReadOnlyList<NodeRecord>> ListNodesAsync(string leaseName, CancellationToken ct) => Task.FromResult<IReadOnlyList<NodeRecord>>([]);
}

/// <summary>A member of the cluster as <see cref="IClusterStore.ListNodesAsync"/> sees it.</summary>
/// <param name="Name">The node's name (<c>METRONOME_NODE</c>).</param>
/// <param name="StartedAt">When it first joined.</param>
/// <param name="HeartbeatAt">Its last heartbeat.</param>
/// <param name="HeartbeatAgeMs">How long ago that was, by the database's clock.</param>
/// <param name="Present">It holds its presence and was not declared dead.</param>
/// <param name="Leader">It holds the leader's lease, not expired.</param>
public sealed record NodeRecord(string Name, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, long HeartbeatAgeMs, bool Present, bool Leader);

/// <summary>
/// A node's presence in the cluster (<see cref="IClusterStore.JoinAsync"/>): while the session lives and the node is not
/// declared dead, the node may claim and fire. Disposing it gives the presence up (the process then stops acting).
/// </summary>
public interface INodePresenceSession : IAsyncDisposable
{
    /// <summary>The node had been declared dead since it last held its presence: its running runs were taken over.</summary>
    bool WasDeclaredDead { get; }

    /// <summary>
    /// Confirms, through the session itself, that the node still holds its presence: false when it was declared dead
    /// meanwhile; throws when the session is gone (a broken connection): presence is lost either way, and the node joins again.
    /// </summary>
    Task<bool> ConfirmAsync(CancellationToken ct);
}

/// <summary>The presence of a store that has none: always present.</summary>
internal sealed class UnboundPresenceSession : INodePresenceSession
{
    public bool WasDeclaredDead => false;

    public Task<bool> ConfirmAsync(CancellationToken ct) => Task.FromResult(true);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// Changes to the schedule made by any node (create, update, pause, resume, delete), pushed to every node so that its
/// in-memory due queue follows without polling. Delivery is best effort: the engine reloads the whole schedule after each
/// (re)connection and polls while the feed is down.
/// </summary>
public interface IScheduleChangeFeed
{
    /// <summary>
    /// Opens a listening connection, awaits <paramref name="listening"/> once changes are being received (a reload done then
    /// cannot miss one), then reports every change to <paramref name="changed"/> until <paramref name="ct"/> is cancelled
    /// (returns) or the connection fails (throws).
    /// </summary>
    Task ListenAsync(Func<Task> listening, Action<ScheduleChange> changed, CancellationToken ct);

    /// <summary>
    /// As <see cref="ListenAsync(Func{Task}, Action{ScheduleChange}, CancellationToken)"/>, and also reports the product
    /// whose catalogue (product, keys, secrets, events) changed to <paramref name="catalogChanged"/>, on the same
    /// connection. A feed that does not announce catalogue changes keeps this default, which never reports one (nodes then
    /// rely on the catalogue cache's time to live).
    /// </summary>
    Task ListenAsync(Func<Task> listening, Action<ScheduleChange> changed, Action<string> catalogChanged, CancellationToken ct) =>
        ListenAsync(listening, changed, ct);
}

/// <summary>A job's schedule changed on some node.</summary>
/// <param name="JobId">The job.</param>
/// <param name="DueAt">Its next due instant; null when nothing is scheduled.</param>
/// <param name="Cancelled">The job was paused or deleted: slots of it not yet started must not start.</param>
public readonly record struct ScheduleChange(long JobId, DateTimeOffset? DueAt, bool Cancelled);
