using Metronome.Core.Runs;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;
using Npgsql;

namespace Metronome.Storage.Postgres;

/// <summary>
/// The cluster store: several Metronome nodes share one PostgreSQL database. Every member is one transaction on a pooled
/// connection of one <see cref="NpgsqlDataSource"/>; batch members (claims, completions, recovery) lock the jobs they
/// touch in id order and write with one array statement per table, so concurrent nodes never deadlock and a batch costs
/// a fixed number of round trips. The database guarantees one run per grid slot (unique index). Job commands send a NOTIFY
/// in their transaction (<see cref="IScheduleChangeFeed"/>); heartbeats and the leader lease are decided by the database's
/// clock (<see cref="IClusterStore"/>).
/// </summary>
/// <remarks>
/// Connection failures (a restart, a network blip) surface as exceptions; the engine's loops back off and retry. Every
/// retried write is idempotent: a completion only applies to a run still <c>running</c>, so a batch whose COMMIT outcome
/// was unknown changes nothing the second time.
/// </remarks>
public sealed partial class PostgresJobStore : IJobStore, ICatalogStore, IClusterStore, IScheduleChangeFeed, IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly PostgresStoreOptions _options;
    private readonly NpgsqlDataSource _data;
    private readonly string _listenConnectionString;
    private readonly string _presenceConnectionString;
    private readonly string _channel;
    private readonly RunIdGenerator _runIds;
    private int _disposed;

    /// <summary>Creates the store; the schema is created by <see cref="MigrateAsync"/>.</summary>
    public PostgresJobStore(PostgresStoreOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
            throw new ArgumentException("PostgresStoreOptions.ConnectionString is required.", nameof(options));
        _options = options;
        _time = time;
        _runIds = new RunIdGenerator(time);
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        var schema = builder.SearchPath?.Split(',')[0].Trim().Trim('"') is { Length: > 0 } s ? s : "public";
        // One channel per schema: stores of different schemas in one database (tests, tenants) do not hear each other.
        _channel = $"metronome_schedule.{schema}";
        // No automatic preparation (Max Auto Prepare): after five executions PostgreSQL may switch a prepared statement to a generic
        // plan that estimates 10 rows per array (EXPLAIN showed a nested loop over two CTEs, quadratic in the batch, for an earlier
        // form of the completion statement). Planning each batch costs well under a microsecond per row.
        // A transaction left open by a paused process (SIGSTOP, a VM freeze) would keep its jobs' rows locked, and every other
        // node skipping them (SKIP LOCKED), for as long as the pause: the server ends such a session after 5 s idle in a
        // transaction. Every transaction of the store runs its statements back to back, in milliseconds.
        if (builder.Options?.Contains("idle_in_transaction_session_timeout", StringComparison.Ordinal) != true)
            builder.Options = $"{builder.Options} -c idle_in_transaction_session_timeout=5000".Trim();
        _data = NpgsqlDataSource.Create(builder.ConnectionString);
        // The listening connection lives as long as listening does; outside the pool, with TCP keepalive to notice a dead peer.
        builder.Pooling = false;
        if (builder.KeepAlive == 0) builder.KeepAlive = 10;
        _listenConnectionString = builder.ConnectionString;
        // The presence connection (PostgresJobStore.Presence.cs) also has TCP keepalives, so that a dead network path fails
        // its next check within seconds rather than when the operating system gives up on the socket.
        builder.KeepAlive = 0; // it queries every fraction of a second anyway
        builder.TcpKeepAlive = true;
        if (builder.TcpKeepAliveTime == 0) builder.TcpKeepAliveTime = 5;
        if (builder.TcpKeepAliveInterval == 0) builder.TcpKeepAliveInterval = 1;
        builder.ApplicationName = string.IsNullOrEmpty(builder.ApplicationName) ? "metronome presence" : builder.ApplicationName + " (presence)";
        _presenceConnectionString = builder.ConnectionString;
    }

    /// <summary>Runs <paramref name="work"/> in one transaction (READ COMMITTED) and commits it.</summary>
    /// <param name="committed">
    /// For writes that must not be replayed blindly: when the connection fails during COMMIT the outcome is unknown, and this
    /// check (run on a new connection, retried while the server is unreachable) tells whether the transaction took effect.
    /// </param>
    private async Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct,
        Func<T, NpgsqlConnection, CancellationToken, Task<bool>>? committed = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await using var connection = await _data.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        var result = await work(connection, tx).ConfigureAwait(false);
        try
        {
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (committed is not null && ex is NpgsqlException { IsTransient: true } or IOException or System.Net.Sockets.SocketException)
        {
            if (await WasCommittedAsync(result, committed, ct).ConfigureAwait(false)) return result;
            throw;
        }
        return result;
    }

    /// <summary>Asks the database whether a transaction whose COMMIT reply was lost took effect; retries for up to a minute.</summary>
    private async Task<bool> WasCommittedAsync<T>(T result, Func<T, NpgsqlConnection, CancellationToken, Task<bool>> committed, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        var deadline = _time.GetUtcNow() + TimeSpan.FromMinutes(1);
        while (true)
        {
            try
            {
                await using var connection = await _data.OpenConnectionAsync(ct).ConfigureAwait(false);
                return await committed(result, connection, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or System.Net.Sockets.SocketException && _time.GetUtcNow() < deadline)
            {
                await Task.Delay(delay, _time, ct).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    /// <summary>True when any of the runs exists with the given node (a claim or a recovery committed).</summary>
    private static async Task<bool> RunsWrittenAsync(NpgsqlConnection c, IEnumerable<string> runIds, string node, CancellationToken ct)
    {
        var ids = runIds.ToArray();
        if (ids.Length == 0) return false;
        await using var cmd = c.Command(null, "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ANY(@ids) AND node = @node)")
            .With("ids", ids, NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text).With("node", node);
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private Task WriteAsync(Func<NpgsqlConnection, NpgsqlTransaction, Task> work, CancellationToken ct) =>
        WriteAsync<bool>(async (c, tx) => { await work(c, tx).ConfigureAwait(false); return true; }, ct);

    /// <summary>Runs <paramref name="work"/> on a pooled connection, outside any explicit transaction.</summary>
    private async Task<T> ReadAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await using var connection = await _data.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await work(connection).ConfigureAwait(false);
    }

    /// <summary>Closes the pool. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _data.DisposeAsync().ConfigureAwait(false);
    }
}
