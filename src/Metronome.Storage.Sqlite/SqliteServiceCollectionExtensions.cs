using Metronome.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Metronome.Storage.Sqlite;

/// <summary>Registers the SQLite store.</summary>
public static class SqliteServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="SqliteJobStore"/> singleton as <see cref="IJobStore"/>, <see cref="ICatalogStore"/> and the audit log (<see cref="Core.Audit.IAuditSink"/>, <see cref="Core.Audit.IAuditLog"/>)
    /// (one writer per process), with <see cref="TimeProvider.System"/> unless a <see cref="TimeProvider"/> is already registered.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="databasePath">Path of the database file.</param>
    /// <param name="configure">Optional further settings (<see cref="SqliteStoreOptions"/>, checked when the host starts).</param>
    public static IServiceCollection AddMetronomeSqlite(this IServiceCollection services, string databasePath, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var options = services.AddOptions<SqliteStoreOptions>().Configure(o => o.DatabasePath = databasePath).ValidateOnStart();
        if (configure is not null) options.Configure(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStoreOptions>, SqliteStoreOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new SqliteJobStore(sp.GetRequiredService<IOptions<SqliteStoreOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<SqliteJobStore>());
        services.AddSingleton<ICatalogStore>(sp => sp.GetRequiredService<SqliteJobStore>());
        // The audit log lives in the same database: embedded hosts audit too.
        services.AddSingleton<Core.Audit.IAuditLog>(sp => sp.GetRequiredService<SqliteJobStore>());
        services.AddSingleton<Core.Audit.IAuditSink>(sp => sp.GetRequiredService<SqliteJobStore>());
        return services;
    }
}
