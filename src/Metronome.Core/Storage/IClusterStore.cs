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
    /// Nodes that own <c>running</c> runs and have not heartbeated for <paramref name="nodeTimeout"/> (or never did):
    /// their runs are orphans, to be taken over with <see cref="IJobStore.RecoverRunsAsync"/>.
    /// </summary>
    Task<IReadOnlyList<string>> ListDeadNodesAsync(TimeSpan nodeTimeout, CancellationToken ct);

    /// <summary>Forgets a node that stopped gracefully (its runs are settled), so it does not show as dead.</summary>
    Task RemoveNodeAsync(string node, CancellationToken ct);
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
