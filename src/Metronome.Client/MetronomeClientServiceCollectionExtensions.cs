using Metronome.Client;
using Metronome.Client.Internal;
using Metronome.Contracts;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Metronome SDK with <see cref="System.Net.Http.IHttpClientFactory"/>.</summary>
public static class MetronomeClientServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the SDK uses (to add handlers: <c>services.AddHttpClient(HttpClientName)</c>).</summary>
    public const string HttpClientName = "Metronome.Client";

    /// <summary>
    /// Registers <see cref="MetronomeClient"/> and <see cref="IMetronome"/> over a factory-managed <see cref="HttpClient"/>
    /// with the standard resilience handler (timeouts, circuit breaker, and retries of transient failures of GET, PUT and
    /// DELETE only: POST and PATCH are never retried). Returns the client builder to add further handlers.
    /// </summary>
    public static IHttpClientBuilder AddMetronomeClient(this IServiceCollection services, Action<MetronomeClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<MetronomeClientOptions>().Configure(configure).Validate(o => { o.Validate(); return true; });
        var builder = services.AddHttpClient(HttpClientName, (sp, http) =>
            http.Timeout = sp.GetRequiredService<IOptions<MetronomeClientOptions>>().Value.Timeout);
        // The retry policy is fixed when the handler is built, so it is taken from the options as configured here.
        var snapshot = new MetronomeClientOptions();
        configure(snapshot);
        builder.AddStandardResilienceHandler(standard =>
        {
            MetronomeResilience.Apply(standard.Retry, snapshot);
            // The whole call is bounded by MetronomeClientOptions.Timeout (HttpClient.Timeout); keep Polly's own budget out of its way.
            standard.TotalRequestTimeout.Timeout = snapshot.Timeout > TimeSpan.FromHours(1) || snapshot.Timeout <= TimeSpan.Zero
                ? TimeSpan.FromHours(1) : snapshot.Timeout;
            if (standard.AttemptTimeout.Timeout >= standard.TotalRequestTimeout.Timeout)
                standard.AttemptTimeout.Timeout = standard.TotalRequestTimeout.Timeout;
        });
        services.TryAddTransient(sp => new MetronomeClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<IOptions<MetronomeClientOptions>>().Value));
        services.TryAddTransient<IMetronome>(sp => sp.GetRequiredService<MetronomeClient>());
        return builder;
    }
}
