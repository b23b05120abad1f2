using Metronome.Core.Engine.Cluster;
using Metronome.Core.Hosting;

namespace Metronome.Storage.Postgres;

/// <summary>Chooses the PostgreSQL store for an embedded Metronome (<c>services.AddMetronome(o =&gt; o.UsePostgres(cs))</c>).</summary>
public static class PostgresMetronomeBuilderExtensions
{
    /// <summary>Stores jobs, runs and the catalogue in a shared PostgreSQL database; the host becomes one node of a cluster.</summary>
    /// <param name="builder">The embedded Metronome's builder.</param>
    /// <param name="connectionString">Npgsql connection string of the shared database.</param>
    /// <param name="configure">Optional further store settings.</param>
    /// <param name="cluster">Optional cluster timing (heartbeat, node timeout, lease, polling).</param>
    public static MetronomeBuilder UsePostgres(this MetronomeBuilder builder, string connectionString,
        Action<PostgresStoreOptions>? configure = null, Action<ClusterOptions>? cluster = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMetronomePostgres(connectionString, configure, cluster);
        return builder;
    }
}
