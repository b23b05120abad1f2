using Metronome.Core.Execution;
using Metronome.Events.Broker;
using Metronome.Events.Database;
using Metronome.Events.Egress;
using Metronome.Events.Function;
using Metronome.Events.Http;
using Metronome.Events.Notification;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Metronome.Events;

/// <summary>Registers Metronome's event executors.</summary>
public static class EventsServiceCollectionExtensions
{
    /// <summary>How long a pooled connection lives, so DNS changes are picked up by long-running servers.</summary>
    private static readonly TimeSpan PooledConnectionLifetime = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Adds the executors of all five event types (<c>action</c>, <c>notification</c>, <c>database_action</c>, <c>function</c>,
    /// <c>messagebroker</c>) as <see cref="IEventExecutor"/> singletons, and the
    /// named <see cref="HttpClient"/> <c>metronome-action</c>: no retries (the engine owns retries), no client-level
    /// timeout (definitions and the attempt's token decide), pooled connections recycled every two minutes, no
    /// automatic redirects and no system proxy (every connection goes through the egress check), and no request
    /// logging (a URL may carry a secret). .NET functions are added separately as <see cref="DotnetFunctionRegistration"/>
    /// singletons. Safe to call twice: the first call's <see cref="EventsOptions"/> stay in force.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configure">Sets the <see cref="EventsOptions"/> (SQLite root and protected paths, egress lists).</param>
    public static IServiceCollection AddMetronomeEvents(this IServiceCollection services, Action<EventsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        // The first call's configuration stays in force; checked at start, so a bad setting stops the host rather than failing runs later.
        if (!services.Any(d => d.ServiceType == typeof(IValidateOptions<EventsOptions>)))
        {
            var options = services.AddOptions<EventsOptions>().ValidateOnStart();
            if (configure is not null) options.Configure(configure);
            services.AddSingleton<IValidateOptions<EventsOptions>, EventsOptionsValidator>();
        }
        services.TryAddSingleton(sp => EgressPolicy.From(sp.GetRequiredService<IOptions<EventsOptions>>().Value));
        services.TryAddSingleton(sp => SqlitePathPolicy.From(sp.GetRequiredService<IOptions<EventsOptions>>().Value));
        services.TryAddSingleton<EgressConnector>();

        services.AddHttpClient(HttpRequestSender.ClientName)
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                PooledConnectionLifetime = PooledConnectionLifetime,
                ConnectTimeout = TimeSpan.FromSeconds(30),
                // The sender follows redirects itself when a definition asks, re-checking and stripping headers per hop.
                AllowAutoRedirect = false,
                // Through a proxy the connect callback would only see the proxy, not the destination it must check.
                UseProxy = false,
                ConnectCallback = sp.GetRequiredService<EgressConnector>().ConnectAsync,
                // The attempt's traceparent (and tracestate) go to the target; baggage never does (TraceContext).
                ActivityHeadersPropagator = TraceContext.Propagator,
            })
            // HttpClient's own logging writes every request URL at Information; a URL may carry a secret.
            .RemoveAllLoggers()
            // The factory rotates handlers itself; with PooledConnectionLifetime set, keep one handler for good.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.TryAddSingleton<HttpRequestSender>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEventExecutor, HttpActionExecutor>());

        // JavaScript runs in worker processes (FunctionPoolOptions); the container disposes the pool and kills them.
        services.AddOptions<FunctionPoolOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FunctionPoolOptions>, FunctionPoolOptionsValidator>());
        services.TryAddSingleton<FunctionWorkerPool>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFunctionRuntime, JavaScriptFunctionRuntime>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFunctionRuntime, DotnetFunctionRuntime>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEventExecutor, FunctionExecutor>());

        // Notification channels share the action's HttpRequestSender (webhook, push, sms) or speak SMTP (email).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationChannel, EmailChannel>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationChannel, WebhookChannel>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationChannel, PushChannel>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationChannel, SmsChannel>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEventExecutor, NotificationExecutor>());

        // A singleton so the container disposes it, and with it the PostgreSQL data sources it pools.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEventExecutor, DatabaseActionExecutor>());

        // One pooled connection per broker connection string; closed when the container disposes the executor.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEventExecutor, MessageBrokerExecutor>());
        return services;
    }
}
