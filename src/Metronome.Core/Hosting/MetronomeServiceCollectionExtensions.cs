using Metronome.Core.Engine;
using Metronome.Core.Execution;
using Metronome.Core.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Metronome.Core.Hosting;

/// <summary>Registers the engine inside any .NET host.</summary>
public static class MetronomeServiceCollectionExtensions
{
    /// <summary>
    /// Adds the scheduling engine (a hosted service), <see cref="JobService"/> and <see cref="Catalog.CatalogService"/>.
    /// A store (<c>AddMetronomeSqlite</c>) and executors (<c>AddMetronomeEvents</c>) are added separately.
    /// </summary>
    public static MetronomeBuilder AddMetronome(this IServiceCollection services, Action<MetronomeOptions>? configure = null)
    {
        var options = services.AddOptions<MetronomeOptions>();
        if (configure is not null) options.Configure(configure);
        options.Validate(o => { o.Validate(); return true; });
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EngineProbe>();
        services.TryAddSingleton<MetronomeEngine>();
        services.TryAddSingleton<IEngineSignal>(sp => sp.GetRequiredService<MetronomeEngine>());
        services.AddHostedService(sp => sp.GetRequiredService<MetronomeEngine>());
        services.TryAddSingleton<JobService>();
        services.TryAddSingleton<Catalog.CatalogService>();
        return new MetronomeBuilder(services);
    }
}

/// <summary>Further configuration of an embedded Metronome.</summary>
public sealed class MetronomeBuilder(IServiceCollection services)
{
    public IServiceCollection Services { get; } = services;

    /// <summary>Registers a .NET function that events of type <c>function</c> with <c>language: dotnet</c> call by <paramref name="tag"/>.</summary>
    public MetronomeBuilder AddFunction(string tag, DotnetFunctionHandler handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        ArgumentNullException.ThrowIfNull(handler);
        Services.AddSingleton(new DotnetFunctionRegistration(tag, handler));
        return this;
    }
}
