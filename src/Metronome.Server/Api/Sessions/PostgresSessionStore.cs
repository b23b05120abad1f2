using Npgsql;

namespace Metronome.Server.Api.Sessions;

/// <summary>
/// Sessions of a cluster, in a table of the shared PostgreSQL database (created on first use, like the Data Protection key
/// ring of <see cref="Hosting.PostgresKeyRepository"/>): a cookie issued by one node is found by every node, and a sign-out
/// on one ends the session on all. Expired rows are deleted on every sign-in.
/// </summary>
internal sealed class PostgresSessionStore(string connectionString) : ISessionStore, IAsyncDisposable
{
    private const string Table = "metronome_sessions";
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);
    private int _tableReady;

    public async Task CreateAsync(SessionRecord session, CancellationToken ct)
    {
        await EnsureTableAsync(ct).ConfigureAwait(false);
        await using var batch = _dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"DELETE FROM {Table} WHERE expires_at <= $1") { Parameters = { new() { Value = session.CreatedAt } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            $"INSERT INTO {Table} (id_hash, principal, product, created_at, touched_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        {
            Parameters =
            {
                new() { Value = session.IdHash }, new() { Value = session.Principal }, new() { Value = (object?)session.Product ?? DBNull.Value },
                new() { Value = session.CreatedAt }, new() { Value = session.TouchedAt }, new() { Value = session.ExpiresAt },
            },
        });
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<SessionRecord?> FindAsync(string idHash, DateTimeOffset now, CancellationToken ct)
    {
        await EnsureTableAsync(ct).ConfigureAwait(false);
        await using var cmd = _dataSource.CreateCommand(
            $"SELECT principal, product, created_at, touched_at, expires_at FROM {Table} WHERE id_hash = $1 AND expires_at > $2");
        cmd.Parameters.AddWithValue(idHash);
        cmd.Parameters.AddWithValue(now);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
        return new SessionRecord(idHash, r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1),
            r.GetFieldValue<DateTimeOffset>(2), r.GetFieldValue<DateTimeOffset>(3), r.GetFieldValue<DateTimeOffset>(4));
    }

    public async Task TouchAsync(string idHash, DateTimeOffset touchedAt, DateTimeOffset expiresAt, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand($"UPDATE {Table} SET touched_at = $2, expires_at = $3 WHERE id_hash = $1");
        cmd.Parameters.AddWithValue(idHash);
        cmd.Parameters.AddWithValue(touchedAt);
        cmd.Parameters.AddWithValue(expiresAt);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string idHash, CancellationToken ct)
    {
        await EnsureTableAsync(ct).ConfigureAwait(false);
        await using var cmd = _dataSource.CreateCommand($"DELETE FROM {Table} WHERE id_hash = $1");
        cmd.Parameters.AddWithValue(idHash);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task EnsureTableAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _tableReady) == 1) return;
        await using var cmd = _dataSource.CreateCommand($"""
            CREATE TABLE IF NOT EXISTS {Table} (
                id_hash text PRIMARY KEY, principal text NOT NULL, product text,
                created_at timestamptz NOT NULL, touched_at timestamptz NOT NULL, expires_at timestamptz NOT NULL)
            """);
        try
        {
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateObject)
        {
            // Two nodes created the table at the same instant: it exists now.
        }
        Volatile.Write(ref _tableReady, 1);
    }
}
