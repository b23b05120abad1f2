using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;
using Npgsql;
using NpgsqlTypes;

namespace Metronome.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    public Task HeartbeatAsync(string node, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await using var cmd = c.Command(tx, """
            INSERT INTO nodes (name, started_at, heartbeat_at) VALUES (@node, metronome_now_ms(), metronome_now_ms())
            ON CONFLICT (name) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
            """).With("node", node);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }, ct);

    /// <inheritdoc />
    /// <remarks>
    /// One statement, so two nodes can never both win: the row lock of the upsert serialises them, and the second sees the
    /// first's fresh expiry. Expiry is decided by the database's clock, so nodes' clocks need not agree. The lease is also
    /// free, before it expires, when its holder's presence is gone (its lock is free, or it was declared dead): a killed
    /// leader is replaced as soon as another node asks, not a lease TTL later.
    /// </remarks>
    public Task<bool> TryAcquireLeaseAsync(string name, string node, TimeSpan ttl, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await using var cmd = c.Command(tx, $"""
            INSERT INTO leases (name, holder, expires_at) VALUES (@name, @node, metronome_now_ms() + @ttl)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE leases.holder = excluded.holder OR leases.expires_at < metronome_now_ms()
               OR EXISTS (SELECT 1 FROM nodes n WHERE n.name = leases.holder
                          AND (n.lost_at IS NOT NULL OR (n.presence_pid IS NOT NULL AND pg_try_advisory_xact_lock({PresenceKey}, n.id))))
            RETURNING holder
            """).With("name", name).With("node", node).With("ttl", (long)ttl.TotalMilliseconds);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is string;
    }, ct);

    /// <inheritdoc />
    public Task ReleaseLeaseAsync(string name, string node, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await using var cmd = c.Command(tx, "DELETE FROM leases WHERE name = @name AND holder = @node").With("name", name).With("node", node);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }, ct);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListDeadNodesAsync(TimeSpan nodeTimeout, CancellationToken ct) => ReadAsync<IReadOnlyList<string>>(async c =>
    {
        await using var cmd = c.Command(null, """
            SELECT r.node FROM runs r
            WHERE r.status = 'running' AND r.node IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.name = r.node AND n.heartbeat_at >= metronome_now_ms() - @timeout AND n.lost_at IS NULL)
            UNION
            SELECT name FROM nodes WHERE lost_at IS NULL AND presence_pid IS NOT NULL AND heartbeat_at < metronome_now_ms() - @timeout
            ORDER BY 1
            """).With("timeout", (long)nodeTimeout.TotalMilliseconds);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var dead = new List<string>();
        while (await r.ReadAsync(ct).ConfigureAwait(false)) dead.Add(r.GetString(0));
        return dead;
    }, ct);

    /// <inheritdoc />
    public Task<int?> CountLiveNodesAsync(TimeSpan nodeTimeout, CancellationToken ct) => ReadAsync<int?>(async c =>
    {
        await using var cmd = c.Command(null, "SELECT count(*) FROM nodes WHERE lost_at IS NULL AND heartbeat_at >= metronome_now_ms() - @timeout")
            .With("timeout", (long)nodeTimeout.TotalMilliseconds);
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }, ct);

    /// <inheritdoc />
    public Task RemoveNodeAsync(string node, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await using var cmd = c.Command(tx, "DELETE FROM nodes WHERE name = @node").With("node", node);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }, ct);

    /// <inheritdoc />
    /// <remarks>
    /// LISTEN on a dedicated connection outside the pool. While idle, the connection is probed every few seconds so that a
    /// server restart or a dead network path ends the call with an exception (the engine then polls and listens again).
    /// </remarks>
    public Task ListenAsync(Func<Task> listening, Action<ScheduleChange> changed, CancellationToken ct) =>
        ListenAsync(listening, changed, static _ => { }, ct);

    /// <inheritdoc />
    /// <remarks>
    /// One LISTEN connection and channel for both kinds of note: schedule changes (<see cref="ScheduleNotes"/>) and
    /// catalogue changes (<see cref="CatalogNotes"/>, sent by every catalogue write in its transaction).
    /// </remarks>
    public async Task ListenAsync(Func<Task> listening, Action<ScheduleChange> changed, Action<string> catalogChanged, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(listening);
        ArgumentNullException.ThrowIfNull(changed);
        ArgumentNullException.ThrowIfNull(catalogChanged);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await using var connection = new NpgsqlConnection(_listenConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        connection.Notification += (_, e) =>
        {
            if (CatalogNotes.TryParse(e.Payload, out var product, out long _)) catalogChanged(product);
            else if (ScheduleNotes.TryParse(e.Payload, out var change)) changed(change);
        };
        await using (var listen = connection.Command(null, $"LISTEN \"{_channel.Replace("\"", "\"\"", StringComparison.Ordinal)}\""))
            await listen.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await listening().ConfigureAwait(false);
        while (true)
        {
            try
            {
                if (await connection.WaitAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false)) continue;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            await using var probe = connection.Command(null, "SELECT 1");
            await probe.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }
}
