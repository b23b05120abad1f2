using Metronome.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

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
        return services;
    }
}
