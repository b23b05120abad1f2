using Metronome.Core.Hosting;

namespace Metronome.Storage.Sqlite;

/// <summary>Chooses the SQLite store for an embedded Metronome (<c>services.AddMetronome(o =&gt; o.UseSqlite("jobs.db"))</c>).</summary>
public static class SqliteMetronomeBuilderExtensions
{
    /// <summary>Stores jobs, runs and the catalogue in one SQLite file (created with its schema when missing).</summary>
    /// <param name="builder">The embedded Metronome's builder.</param>
    /// <param name="databasePath">Path of the database file.</param>
    /// <param name="configure">Optional further store settings.</param>
    public static MetronomeBuilder UseSqlite(this MetronomeBuilder builder, string databasePath, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMetronomeSqlite(databasePath, configure);
        return builder;
    }
}
