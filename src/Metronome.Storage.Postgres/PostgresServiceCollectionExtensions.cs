using Metronome.Core.Engine.Cluster;
using Metronome.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Metronome.Storage.Postgres;

/// <summary>Registers the PostgreSQL store, which makes the engine one node of a cluster.</summary>
public static class PostgresServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="PostgresJobStore"/> singleton as <see cref="IJobStore"/>, <see cref="ICatalogStore"/>,
    /// <see cref="IClusterStore"/>, <see cref="IScheduleChangeFeed"/> and the audit log (<see cref="Core.Audit.IAuditSink"/>, <see cref="Core.Audit.IAuditLog"/>) (the engine then heartbeats, elects a leader and
    /// listens for changes), with <see cref="TimeProvider.System"/> unless a <see cref="TimeProvider"/> is already registered.
    /// Cluster timing is <see cref="ClusterOptions"/> (<paramref name="cluster"/>), validated at start.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">Npgsql connection string of the shared database.</param>
    /// <param name="configure">Optional further store settings.</param>
    /// <param name="cluster">Optional cluster timing (heartbeat, node timeout, lease, polling).</param>
    public static IServiceCollection AddMetronomePostgres(this IServiceCollection services, string connectionString,
        Action<PostgresStoreOptions>? configure = null, Action<ClusterOptions>? cluster = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var store = services.AddOptions<PostgresStoreOptions>().Configure(o => o.ConnectionString = connectionString).ValidateOnStart();
        if (configure is not null) store.Configure(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresStoreOptions>, PostgresStoreOptionsValidator>());

        var clusterOptions = services.AddOptions<ClusterOptions>();
        if (cluster is not null) clusterOptions.Configure(cluster);
        // Checked at start by the validator AddMetronome registers (the engine reads the same options).
        clusterOptions.ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PostgresStoreOptions>>().Value;
            var timing = sp.GetRequiredService<IOptions<ClusterOptions>>().Value;
            // A copy, so the registered options stay as configured.
            var partitioning = options.Partitioning ?? new ClaimPartitioning(timing.NodeTimeout, timing.ClaimTakeoverGrace);
            return new PostgresJobStore(new PostgresStoreOptions
            {
                ConnectionString = options.ConnectionString, UseDatabaseClock = options.UseDatabaseClock, Partitioning = partitioning,
            }, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<PostgresJobStore>());
        services.AddSingleton<ICatalogStore>(sp => sp.GetRequiredService<PostgresJobStore>());
        // The audit log lives in the same database: embedded hosts audit too.
        services.AddSingleton<Core.Audit.IAuditLog>(sp => sp.GetRequiredService<PostgresJobStore>());
        services.AddSingleton<Core.Audit.IAuditSink>(sp => sp.GetRequiredService<PostgresJobStore>());
        services.AddSingleton<IClusterStore>(sp => sp.GetRequiredService<PostgresJobStore>());
        services.AddSingleton<IScheduleChangeFeed>(sp => sp.GetRequiredService<PostgresJobStore>());
        return services;
    }
}
