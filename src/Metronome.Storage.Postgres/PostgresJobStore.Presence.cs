using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;
using Npgsql;
using NpgsqlTypes;

namespace Metronome.Storage.Postgres;

/// <summary>
/// Presence tied to a connection (Cluster/README.md, "Presence"). A node holds the session-level advisory lock
/// <c>(nodes'oid, nodes.id)</c> on a dedicated connection outside the pool; PostgreSQL releases it the moment that session
/// ends. Other sessions test it without waiting and without reading <c>pg_locks</c> (which takes every lock-manager
/// partition lock): <c>pg_try_advisory_xact_lock</c> on the same key succeeds only when no session holds it, and is
/// released at the end of the asking transaction.
/// </summary>
public sealed partial class PostgresJobStore
{
    /// <summary>The key of a node's presence lock: the table's oid keeps it unique per schema in the database, <c>id</c> per node.</summary>
    private const string PresenceKey = "'nodes'::regclass::oid::int4";

    /// <inheritdoc />
    /// <remarks>
    /// Opens the presence connection (no pooling; TCP keepalives on both ends, so a lost host's session ends within seconds
    /// instead of hours), makes sure the node has a row, tries its lock, and records the holding backend. Returns null when
    /// another session holds the lock: a live process with the same node name.
    /// </remarks>
    public async Task<INodePresenceSession?> JoinAsync(string node, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = new NpgsqlConnection(_presenceConnectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            // Server side: a peer that vanished without closing its socket (a lost host) ends this session, and so releases
            // the lock, after about 5 + 5 × 1 s of silence. Ignored on Unix-domain sockets, where a dead peer is seen at once.
            await using (var setup = connection.Command(null, """
                SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 5;
                INSERT INTO nodes (name, started_at, heartbeat_at) VALUES (@node, metronome_now_ms(), metronome_now_ms())
                ON CONFLICT (name) DO NOTHING;
                """).With("node", node))
                await setup.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await using (var take = connection.Command(null, $"SELECT pg_try_advisory_lock({PresenceKey}, id) FROM nodes WHERE name = @node").With("node", node))
            {
                if (await take.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    return null;
                }
            }
            // Under the row lock: a leader declaring this node dead at the same moment either committed first (we read its
            // mark: our runs were taken over) or sees our lock held and leaves the node alone.
            await using var record = connection.Command(null, """
                WITH old AS (SELECT name, lost_at FROM nodes WHERE name = @node FOR UPDATE)
                UPDATE nodes SET presence_pid = pg_backend_pid(), lost_at = NULL, heartbeat_at = metronome_now_ms()
                FROM old WHERE nodes.name = old.name
                RETURNING old.lost_at IS NOT NULL
                """).With("node", node);
            bool declaredDead = await record.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
            return new PresenceSession(connection, node, declaredDead);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>One statement, on a pooled connection: each candidate's key is tried in the statement's own transaction.</remarks>
    public Task<IReadOnlyList<string>> ListAbsentNodesAsync(CancellationToken ct) => ReadAsync<IReadOnlyList<string>>(async c =>
    {
        await using var cmd = c.Command(null, $"""
            WITH joined AS MATERIALIZED (SELECT name, id FROM nodes WHERE lost_at IS NULL AND presence_pid IS NOT NULL)
            SELECT name FROM joined WHERE pg_try_advisory_xact_lock({PresenceKey}, id) ORDER BY name
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var absent = new List<string>();
        while (await r.ReadAsync(ct).ConfigureAwait(false)) absent.Add(r.GetString(0));
        return absent;
    }, ct);

    /// <inheritdoc />
    /// <remarks>
    /// Without <paramref name="endPresence"/>, a node is marked only if its lock is still free, tried in the marking
    /// transaction: the lock orders this against the node joining again. With it (heartbeat timeout), the backend holding
    /// the node's lock is terminated after the mark commits. When this role may not terminate it (neither the same role nor
    /// a member of <c>pg_signal_backend</c>), the error is ignored: the mark alone stops the node (its next presence check
    /// reads it), and the lock stays held until that process ends or checks.
    /// </remarks>
    public async Task<IReadOnlyList<string>> DeclareDeadAsync(IReadOnlyList<string> nodes, bool endPresence, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0) return [];
        var marked = await WriteAsync<List<(string Name, int? Pid)>>(async (c, tx) =>
        {
            await using var cmd = c.Command(tx, endPresence
                ? $"""
                  WITH marked AS (
                      UPDATE nodes SET lost_at = metronome_now_ms() WHERE name = ANY(@names) AND lost_at IS NULL RETURNING name, id, presence_pid)
                  SELECT m.name, l.pid FROM marked m
                  LEFT JOIN pg_locks l ON l.locktype = 'advisory' AND l.classid = 'nodes'::regclass::oid AND l.objid = m.id::oid
                      AND l.objsubid = 2 AND l.granted AND l.pid = m.presence_pid
                  {AlreadyDead}
                  """
                : $"""
                  WITH marked AS (
                      UPDATE nodes SET lost_at = metronome_now_ms()
                      WHERE name = ANY(@names) AND lost_at IS NULL AND (presence_pid IS NULL OR pg_try_advisory_xact_lock({PresenceKey}, id))
                      RETURNING name)
                  SELECT name, NULL::int FROM marked
                  {AlreadyDead}
                  """).With("names", nodes.ToArray(), Sql.Array(NpgsqlDbType.Text));
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var rows = new List<(string, int?)>();
            while (await r.ReadAsync(ct).ConfigureAwait(false)) rows.Add((r.GetString(0), r.IsDBNull(1) ? null : r.GetInt32(1)));
            return rows;
        }, ct).ConfigureAwait(false);
        foreach (var (_, pid) in marked)
        {
            if (pid is not { } backend) continue;
            try
            {
                await ReadAsync(async c =>
                {
                    await using var kill = c.Command(null, "SELECT pg_terminate_backend(@pid)").With("pid", backend, NpgsqlDbType.Integer);
                    return await kill.ExecuteScalarAsync(ct).ConfigureAwait(false);
                }, ct).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                // Not permitted: the mark still fences the node (see remarks).
            }
        }
        return marked.ConvertAll(m => m.Name);
    }

    /// <summary>The asked nodes declared dead before this statement, or without a row (their runs are anyone's to take over).</summary>
    private const string AlreadyDead = """
        UNION ALL SELECT name, NULL::int FROM nodes WHERE name = ANY(@names) AND lost_at IS NOT NULL
        UNION ALL SELECT u.name, NULL::int FROM unnest(@names) AS u(name) WHERE NOT EXISTS (SELECT 1 FROM nodes WHERE nodes.name = u.name)
        """;

    /// <summary>A node's presence: the connection holding its lock. Disposing it closes the connection, which releases the lock.</summary>
    private sealed class PresenceSession(NpgsqlConnection connection, string node, bool declaredDead) : INodePresenceSession
    {
        private int _disposed;

        public bool WasDeclaredDead => declaredDead;

        public async Task<bool> ConfirmAsync(CancellationToken ct)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            await using var cmd = connection.Command(null, "SELECT lost_at IS NULL AND presence_pid = pg_backend_pid() FROM nodes WHERE name = @node")
                .With("node", node);
            return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
