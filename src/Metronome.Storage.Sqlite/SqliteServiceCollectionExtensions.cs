using Metronome.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Metronome.Storage.Sqlite;

/// <summary>Registers the SQLite store.</summary>
public static class SqliteServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="SqliteJobStore"/> singleton as both <see cref="IJobStore"/> and <see cref="ICatalogStore"/>
    /// (one writer per process), with <see cref="TimeProvider.System"/> unless a <see cref="TimeProvider"/> is already registered.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="databasePath">Path of the database file.</param>
    /// <param name="configure">Optional further settings.</param>
    public static IServiceCollection AddMetronomeSqlite(this IServiceCollection services, string databasePath, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var options = new SqliteStoreOptions { DatabasePath = databasePath };
        configure?.Invoke(options);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new SqliteJobStore(options, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<SqliteJobStore>());
        services.AddSingleton<ICatalogStore>(sp => sp.GetRequiredService<SqliteJobStore>());
        return services;
    }
}
