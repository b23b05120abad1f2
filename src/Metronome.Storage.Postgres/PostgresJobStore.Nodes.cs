using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;

namespace Metronome.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// A node is present when it is not marked lost and its presence lock is held, tried as <see cref="ListAbsentNodesAsync"/>
    /// does (a transaction-level try that takes a free lock for the statement only).
    /// </remarks>
    public Task<IReadOnlyList<NodeRecord>> ListNodesAsync(string leaseName, CancellationToken ct) => ReadAsync<IReadOnlyList<NodeRecord>>(async c =>
    {
        await using var cmd = c.Command(null, $"""
            WITH now AS MATERIALIZED (SELECT metronome_now_ms() AS ms),
            listed AS MATERIALIZED (SELECT name, id, started_at, heartbeat_at, lost_at, presence_pid FROM nodes)
            SELECT n.name, n.started_at, n.heartbeat_at, now.ms - n.heartbeat_at,
                n.lost_at IS NULL AND n.presence_pid IS NOT NULL AND NOT pg_try_advisory_xact_lock({PresenceKey}, n.id),
                EXISTS (SELECT 1 FROM leases l WHERE l.name = @lease AND l.holder = n.name AND l.expires_at >= now.ms)
            FROM listed n CROSS JOIN now
            ORDER BY n.name
            """).With("lease", leaseName);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var nodes = new List<NodeRecord>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            nodes.Add(new NodeRecord(r.GetString(0), r.At(1), r.At(2), Math.Max(0, r.GetInt64(3)), r.GetBoolean(4), r.GetBoolean(5)));
        return nodes;
    }, ct);
}
