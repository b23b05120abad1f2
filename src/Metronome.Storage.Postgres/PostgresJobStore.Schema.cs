using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;
using NpgsqlTypes;

namespace Metronome.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    private static readonly IReadOnlyList<SchemaMigration> Migrations = SchemaMigrations.Load(typeof(PostgresJobStore).Assembly);

    /// <summary>
    /// Applies the embedded migrations not yet recorded in <c>schema_version</c>, all in one transaction that first takes a
    /// transaction-scoped advisory lock: nodes starting together wait for each other, and the one that comes second finds
    /// the work done. DDL is transactional in PostgreSQL, so a failed migration leaves nothing half applied. Idempotent.
    /// </summary>
    public Task MigrateAsync(CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await using (var lockCmd = c.Command(tx, "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.metronome_migrations'))"))
            await lockCmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await using (var create = c.Command(tx,
            "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)"))
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        var applied = new HashSet<int>();
        await using (var select = c.Command(tx, "SELECT version FROM schema_version"))
        await using (var r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false)) applied.Add(r.GetInt32(0));
        }
        foreach (var migration in Migrations.Where(m => !applied.Contains(m.Version)))
        {
            await using (var script = c.Command(tx, migration.Sql)) await script.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await using var record = c.Command(tx, "INSERT INTO schema_version (version, name, applied_at) VALUES (@v, @n, @at)")
                .With("v", migration.Version, NpgsqlDbType.Integer).With("n", migration.Name).With("at", Sql.Ms(_time.GetUtcNow()));
            await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }, ct);

    /// <inheritdoc />
    /// <remarks>
    /// One transaction on a pooled connection: an <c>UPDATE</c> that matches no row (it writes nothing, but the server refuses
    /// it on a standby or with read-only transactions), then the schema version.
    /// </remarks>
    public async Task<StoreReadiness> CheckReadinessAsync(CancellationToken ct)
    {
        try
        {
            return await WriteAsync(async (c, tx) =>
            {
                await using (var exists = c.Command(tx, "SELECT to_regclass('schema_version') IS NOT NULL"))
                    if (!(bool)(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false))!) return StoreReadiness.FromSchema(0, Migrations[^1].Version);
                await using (var write = c.Command(tx, "UPDATE schema_version SET name = name WHERE false"))
                    await write.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                await using var cmd = c.Command(tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
                var applied = Convert.ToInt32(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
                return StoreReadiness.FromSchema(applied, Migrations[^1].Version);
            }, ct).ConfigureAwait(false);
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.ReadOnlySqlTransaction)
        {
            return new StoreReadiness(false, "read-only: the database refuses writes (a standby, or read-only transactions)");
        }
    }

    /// <summary>The highest applied schema version (0 before <see cref="MigrateAsync"/>).</summary>
    internal Task<int> GetSchemaVersionAsync(CancellationToken ct) => ReadAsync(async c =>
    {
        await using (var exists = c.Command(null, "SELECT to_regclass('schema_version') IS NOT NULL"))
            if (!(bool)(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false))!) return 0;
        await using var cmd = c.Command(null, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }, ct);
}
