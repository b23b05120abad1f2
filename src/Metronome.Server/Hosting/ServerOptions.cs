using Metronome.Core.Engine.Cluster;
using Metronome.Core.Hosting;
using Metronome.Events;
using Metronome.Events.Function;
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Metronome.Server.Hosting;

/// <summary>
/// The server's one options path: every options class is bound from its section of the configuration (after
/// <see cref="SettingsTable.Apply"/> turned the <c>METRONOME_*</c> variables into keys) and checked at start by its
/// validator, whose messages name the variable and the key (<see cref="ServerSettingNames"/>).
/// </summary>
internal static class ServerOptions
{
    /// <summary>Binds the options classes from <paramref name="configuration"/>; call after the registrations of the engine and executors.</summary>
    public static void Bind(IServiceCollection services, IConfiguration configuration, ServerSettings settings)
    {
        services.Replace(ServiceDescriptor.Singleton<SettingNames>(ServerSettingNames.Instance));
        Section<MetronomeOptions>(services, configuration);
        Section<ClusterOptions>(services, configuration);
        Section<FunctionPoolOptions>(services, configuration);
        if (settings.Store == "sqlite") Section<SqliteStoreOptions>(services, configuration);
        // Tenants' SQLite paths never reach the server's own data.
        Section<EventsOptions>(services, configuration).Configure(o => o.ProtectedPaths.Add(settings.DataDirectory));
    }

    /// <summary>
    /// Runs the start-up validation now, so that <see cref="MetronomeServer.Build"/> (not the first request) reports a bad
    /// setting, as a <see cref="ServerConfigurationException"/> naming every setting at fault.
    /// </summary>
    public static void Check(IServiceProvider services)
    {
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
        }
        catch (OptionsValidationException e)
        {
            throw new ServerConfigurationException(string.Join(" ", e.Failures));
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is OptionsValidationException))
        {
            throw new ServerConfigurationException(string.Join(" ", e.InnerExceptions.SelectMany(i => ((OptionsValidationException)i).Failures)));
        }
    }

    private static OptionsBuilder<T> Section<T>(IServiceCollection services, IConfiguration configuration) where T : class =>
        services.AddOptions<T>().Bind(configuration.GetSection(SettingsTable.Sections[typeof(T)])).ValidateOnStart();
}
