using Metronome.Core.Storage;
using Metronome.Storage.Sqlite.Internal;

namespace Metronome.Storage.Sqlite;

public sealed partial class SqliteJobStore
{
    private static readonly IReadOnlyList<SchemaMigration> Migrations = SchemaMigrations.Load(typeof(SqliteJobStore).Assembly);

    /// <summary>
    /// Applies the embedded migrations not yet recorded in <c>schema_version</c>, each in its own transaction (the
    /// version check is inside it, so concurrent starts on one file apply each script once). Idempotent.
    /// </summary>
    public async Task MigrateAsync(CancellationToken ct)
    {
        await WriteAsync((c, tx) => c.Execute(tx,
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"), ct).ConfigureAwait(false);
        foreach (var migration in Migrations)
        {
            await WriteAsync((c, tx) =>
            {
                using var check = c.Command(tx, "SELECT 1 FROM schema_version WHERE version = @v").With("@v", migration.Version);
                if (check.ExecuteScalar() is not null) return;
                c.Execute(tx, migration.Sql);
                using var record = c.Command(tx, "INSERT INTO schema_version (version, name, applied_at) VALUES (@v, @n, @at)")
                    .With("@v", migration.Version).With("@n", migration.Name).With("@at", Sql.Ms(_time.GetUtcNow()));
                record.ExecuteNonQuery();
            }, ct).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <c>BEGIN IMMEDIATE</c> on the writer connection (it takes the database's write lock, behind the writes already
    /// queued) reading the schema version, then a fresh look of the file guard: SQLite would take writes into a file made
    /// read-only or deleted under the open connection, so the guard's probe decides whether they would be kept.
    /// </remarks>
    public async Task<StoreReadiness> CheckReadinessAsync(CancellationToken ct)
    {
        try
        {
            Volatile.Read(ref _guard)?.ThrowIfUnusable(fresh: true);
            var applied = await WriteAsync((c, tx) =>
            {
                using var exists = c.Command(tx, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
                if (exists.ExecuteScalar() is null) return 0;
                using var cmd = c.Command(tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
                return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }, ct).ConfigureAwait(false);
            Volatile.Read(ref _guard)?.ThrowIfUnusable(fresh: true); // the first write opens the guard
            return StoreReadiness.FromSchema(applied, Migrations[^1].Version);
        }
        catch (Core.StoreUnavailableException e)
        {
            return new StoreReadiness(false, e.Message);
        }
    }

    /// <summary>The highest applied schema version (0 before <see cref="MigrateAsync"/>).</summary>
    internal Task<int> GetSchemaVersionAsync(CancellationToken ct) => ReadAsync(c =>
    {
        using var exists = c.Command(null, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
        if (exists.ExecuteScalar() is null) return 0;
        using var cmd = c.Command(null, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }, ct);

    /// <summary>A pragma's value on the writer connection (per-connection pragmas such as <c>synchronous</c> live there).</summary>
    internal Task<string> ReadWriterPragmaAsync(string pragma, CancellationToken ct) => WriteAsync((c, tx) =>
    {
        using var cmd = c.Command(tx, $"PRAGMA {pragma}");
        return Convert.ToString(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }, ct);
}
