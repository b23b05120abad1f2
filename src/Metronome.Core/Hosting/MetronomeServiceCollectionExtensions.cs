using Metronome.Contracts;
using Metronome.Core.Engine;
using Metronome.Core.Engine.Cluster;
using Metronome.Core.Execution;
using Metronome.Core.Jobs;
using Metronome.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Metronome.Core.Hosting;

/// <summary>Registers the engine inside any .NET host.</summary>
public static class MetronomeServiceCollectionExtensions
{
    /// <summary>
    /// Adds the scheduling engine (a hosted service), <see cref="JobService"/>, <see cref="Catalog.CatalogService"/> and the
    /// in-process <see cref="IMetronome"/>. A store and executors are added separately (or through the builder:
    /// <c>o.UseSqlite(path)</c>); this overload only sets <see cref="MetronomeOptions"/>.
    /// </summary>
    public static MetronomeBuilder AddMetronome(this IServiceCollection services, Action<MetronomeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = AddCore(services);
        if (configure is not null) builder.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Adds an embedded Metronome configured through its builder, e.g.
    /// <c>services.AddMetronome(o =&gt; { o.UseSqlite("jobs.db"); o.AddFunction("report", handler); })</c>.
    /// Code then resolves <see cref="IMetronome"/> and calls <c>Product("shop").Jobs</c> exactly as with the HTTP client.
    /// </summary>
    public static MetronomeBuilder AddMetronome(this IServiceCollection services, Action<MetronomeBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = AddCore(services);
        configure(builder);
        return builder;
    }

    private static MetronomeBuilder AddCore(IServiceCollection services)
    {
        services.AddOptions<MetronomeOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetronomeOptions>, MetronomeOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Engine.Cluster.ClusterOptions>, ClusterOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        AddEngine(services);
        // AddHostedService is TryAddEnumerable by implementation type; with a factory it is not, so guard against a second call.
        if (!services.Any(d => d.ServiceType == typeof(MetronomeBuilder.EngineMarker)))
        {
            services.AddSingleton<MetronomeBuilder.EngineMarker>();
            services.AddHostedService(sp => sp.GetRequiredService<MetronomeEngine>());
        }
        services.TryAddSingleton(sp => new JobService(sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<ICatalogStore>(),
            sp.GetRequiredService<Catalog.CatalogService>(), sp.GetRequiredService<IEngineSignal>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<MetronomeOptions>>(), sp.GetRequiredService<Audit.AuditTrail>()));
        // Every change through the services is audited in the store's log (when the store has one) with the actor the host
        // names (IAuditActorSource; the server's is the request's caller, an embedded host without one records "admin").
        // Records are group-committed (AuditBatcher): concurrent changes share one audit write instead of one flush each.
        services.TryAddSingleton(sp => new Audit.AuditTrail(sp.GetService<Audit.IAuditSink>() is { } sink ? new Audit.AuditBatcher(sink) : null,
            sp.GetService<Audit.IAuditActorSource>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<Audit.AuditTrail>>()));
        services.TryAddSingleton(sp => new Audit.AuditLogService(sp.GetRequiredService<ICatalogStore>(), sp.GetService<Audit.IAuditLog>()));
        // Secrets need a protector; an embedded host without one still gets the catalogue, and only storing a secret fails.
        services.TryAddSingleton(sp => new Catalog.CatalogService(
            sp.GetRequiredService<ICatalogStore>(), sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<IEngineSignal>(),
            sp.GetService<ISecretProtector>() ?? SecretsUnavailableProtector.Instance,
            sp.GetServices<IEventExecutor>(), sp.GetRequiredService<TimeProvider>(), Cluster(sp).CatalogCacheTtl, sp.GetRequiredService<Audit.AuditTrail>()));
        services.TryAddSingleton<IMetronome, EmbeddedMetronome>();
        return new MetronomeBuilder(services);
    }

    /// <summary>
    /// The engine and the services it orders. Cluster services are resolved only when the store registered an
    /// <see cref="IClusterStore"/> (stores register after this runs, so the choice is made when the engine is resolved).
    /// </summary>
    private static void AddEngine(IServiceCollection services)
    {
        services.TryAddSingleton<EngineProbe>();
        services.TryAddSingleton<EngineHeartbeat>();
        services.TryAddSingleton(sp => new Telemetry.EngineMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(sp => new EventResolver(sp.GetRequiredService<ICatalogStore>(), sp.GetService<ISecretProtector>(),
            sp.GetRequiredService<TimeProvider>(), Cluster(sp).CatalogCacheTtl));
        services.TryAddSingleton<CompletionWriter>();
        services.TryAddSingleton<ProductConcurrencyCaps>();
        services.TryAddSingleton<RunDispatcher>();
        services.TryAddSingleton<DueScheduler>();
        services.TryAddSingleton<IEngineSignal>(sp => new EngineSignal(sp.GetRequiredService<DueScheduler>(), sp.GetRequiredService<RunDispatcher>(),
            sp.GetRequiredService<EventResolver>(), sp.GetRequiredService<ProductConcurrencyCaps>(), sp.GetRequiredService<BackfillRunner>()));
        services.TryAddSingleton(sp =>
        {
            var runner = new BackfillRunner(sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<IOptions<MetronomeOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<RunDispatcher>().Dispatch, sp.GetRequiredService<ILogger<BackfillRunner>>());
            sp.GetRequiredService<CompletionWriter>().Written += runner.OnWritten;
            return runner;
        });
        services.TryAddSingleton(sp => new NodePresence(sp.GetService<IClusterStore>(), NodeName(sp), Cluster(sp),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<NodePresence>>()));
        services.TryAddSingleton(sp => new LeaderElector(sp.GetRequiredService<IClusterStore>(), sp.GetRequiredService<NodePresence>(), NodeName(sp),
            Cluster(sp), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LeaderElector>>()));
        services.TryAddSingleton(sp => new NodeHeartbeat(sp.GetRequiredService<IClusterStore>(), NodeName(sp), Cluster(sp),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<NodeHeartbeat>>()));
        services.TryAddSingleton(Chores);
        services.TryAddSingleton(sp => new MetronomeEngine(sp.GetRequiredService<IJobStore>(), sp.GetService<IClusterStore>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<MetronomeOptions>>(), sp.GetRequiredService<ILogger<MetronomeEngine>>(),
            sp.GetRequiredService<EngineProbe>(), sp.GetRequiredService<ProductConcurrencyCaps>(), sp.GetRequiredService<DueScheduler>(),
            sp.GetRequiredService<RunDispatcher>(), sp.GetRequiredService<CompletionWriter>(), sp.GetRequiredService<EngineChores>(),
            sp.GetRequiredService<NodePresence>(), sp.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout,
            sp.GetRequiredService<Telemetry.EngineMetrics>(), sp.GetService<IClusterStore>() is null ? null : sp.GetRequiredService<LeaderElector>()));
    }

    private static string NodeName(IServiceProvider sp) => sp.GetRequiredService<IOptions<MetronomeOptions>>().Value.NodeName;

    private static ClusterOptions Cluster(IServiceProvider sp) => sp.GetService<IOptions<ClusterOptions>>()?.Value ?? new ClusterOptions();

    /// <summary>Timed resumes, engine audit notices and <c>on_failure</c> hooks: leader work (<see cref="FollowUpWorker"/>).</summary>
    private static FollowUpWorker FollowUps(IServiceProvider sp, Func<bool> shouldAct) => new(
        sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<EventResolver>(), sp.GetServices<IEventExecutor>(),
        sp.GetRequiredService<IEngineSignal>(), sp.GetService<Audit.IAuditSink>(), sp.GetRequiredService<TimeProvider>(), shouldAct,
        sp.GetRequiredService<ILoggerFactory>().CreateLogger<FollowUpWorker>());

    private static EngineChores Chores(IServiceProvider sp)
    {
        var store = sp.GetRequiredService<IJobStore>();
        var options = sp.GetRequiredService<IOptions<MetronomeOptions>>().Value;
        var time = sp.GetRequiredService<TimeProvider>();
        var logs = sp.GetRequiredService<ILoggerFactory>();
        if (sp.GetService<IClusterStore>() is not { } cluster)
            return new EngineChores([new RunPruner(store, options, time, () => true, logs.CreateLogger<RunPruner>()), FollowUps(sp, () => true),
                sp.GetRequiredService<BackfillRunner>()]);
        var (node, timing) = (options.NodeName, Cluster(sp));
        var elector = sp.GetRequiredService<LeaderElector>();
        var scheduler = sp.GetRequiredService<DueScheduler>();
        var presence = sp.GetRequiredService<NodePresence>();
        List<EngineService> chores =
        [
            elector,
            new RunRescuer(store, cluster, elector, presence, node, timing, time, sp.GetRequiredService<RunDispatcher>().Dispatch,
                logs.CreateLogger<RunRescuer>()),
            new RunPruner(store, options, time, () => elector.IsLeader, logs.CreateLogger<RunPruner>()),
            FollowUps(sp, () => elector.IsLeader),
            sp.GetRequiredService<BackfillRunner>(),
        ];
        if (sp.GetService<IScheduleChangeFeed>() is { } feed)
        {
            // Resolved lazily: the catalogue service depends on the engine's signal, which is built with the engine.
            var signal = sp.GetRequiredService<IEngineSignal>();
            var resolver = sp.GetRequiredService<EventResolver>();
            var catalog = new Lazy<Catalog.CatalogService>(sp.GetRequiredService<Catalog.CatalogService>);
            chores.Add(new ScheduleChangeListener(feed, timing, time, scheduler.Apply, scheduler.ReloadAsync,
                product => { signal.CatalogChanged(product); catalog.Value.Cache.Invalidate(product); },
                () => { resolver.Clear(); catalog.Value.Cache.Clear(); },
                logs.CreateLogger<ScheduleChangeListener>()));
        }
        // Joined by the engine before anything else. Last here, so its confirmations stop first; the session itself is released
        // after the drain and the hand-back (MetronomeEngine.StopAsync), before the heartbeat removes the node's row.
        chores.Add(presence);
        return new EngineChores(chores, sp.GetRequiredService<NodeHeartbeat>());
    }
}

/// <summary>
/// Configuration of an embedded Metronome: engine options, the store (<c>UseSqlite</c> from Metronome.Storage.Sqlite,
/// <c>UsePostgres</c> from Metronome.Storage.Postgres), .NET functions and the secret protector. Store packages extend
/// it with extension methods that register their store on <see cref="Services"/>.
/// </summary>
public sealed class MetronomeBuilder(IServiceCollection services)
{
    /// <summary>The host's services; store and executor packages register themselves here.</summary>
    public IServiceCollection Services { get; } = services;

    /// <summary>Changes engine settings (<see cref="MetronomeOptions"/>); validated when the host starts.</summary>
    public MetronomeBuilder Configure(Action<MetronomeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>Registers a .NET function that events of type <c>function</c> with <c>language: dotnet</c> call by <paramref name="tag"/>.</summary>
    public MetronomeBuilder AddFunction(string tag, DotnetFunctionHandler handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        ArgumentNullException.ThrowIfNull(handler);
        Services.AddSingleton(new DotnetFunctionRegistration(tag, handler));
        return this;
    }

    /// <summary>Registers a .NET function from a synchronous delegate of the input alone.</summary>
    public MetronomeBuilder AddFunction(string tag, Func<System.Text.Json.JsonElement, object?> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddFunction(tag, (input, _, _) => Task.FromResult(handler(input)));
    }

    /// <summary>
    /// Encrypts product secrets with <paramref name="protector"/>. Without one, an embedded host runs every job whose
    /// definitions use no <c>{{secrets.*}}</c>, and storing a secret fails with a message pointing here. (The server uses
    /// ASP.NET Core Data Protection; an embedded host can wrap the same in a few lines, see samples/.)
    /// </summary>
    public MetronomeBuilder UseSecretProtector(ISecretProtector protector)
    {
        ArgumentNullException.ThrowIfNull(protector);
        Services.Replace(ServiceDescriptor.Singleton(typeof(ISecretProtector), protector));
        return this;
    }

    internal sealed class EngineMarker;
}
