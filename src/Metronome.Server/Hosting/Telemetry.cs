using System.Diagnostics;
using Metronome.Core.Telemetry;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Metronome.Server.Hosting;

/// <summary>
/// The server's OpenTelemetry (SPEC §7, docs/telemetry.md): the engine's <c>Metronome</c> meter and activity source, ASP.NET
/// Core, HttpClient and Npgsql instrumentation; metrics scraped as Prometheus text on <c>/metrics</c> (no key, like the
/// health endpoints), and traces and metrics pushed over OTLP only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the
/// exporter reads the standard <c>OTEL_*</c> variables: protocol, headers, intervals).
/// </summary>
/// <remarks>
/// No attribute may carry a secret (SPEC §7). The HttpClient spans of an executor's request record its URL without the query,
/// and with the product's secrets masked by the attempt's redactor (<see cref="MetronomeTelemetry.RedactProperty"/>), as are
/// the server address and the error description. HttpClient metrics keep only tags that cannot hold a tenant's value (the
/// method, the status, the error type, the scheme): a host name can be a secret too.
/// </remarks>
internal static class Telemetry
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string MetricsPath = "/metrics";

    private static readonly string[] SafeHttpClientTags = ["http.request.method", "http.response.status_code", "error.type", "url.scheme", "network.protocol.version"];

    private static readonly string[] SafeNpgsqlTags = ["state", "db.client.connection.state", "db.client.connections.state", "db.system", "error.type"];

    public static void AddMetronomeTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]);
        builder.Services.AddHostedService<ExceptionEventRedaction>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("metronome"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(MetronomeTelemetry.Name)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddNpgsqlInstrumentation()
                    .AddView(i => i.Meter.Name switch
                    {
                        "System.Net.Http" => new MetricStreamConfiguration { TagKeys = SafeHttpClientTags },
                        // A pool is named by its connection string: a database_action's may be a tenant's secret.
                        "Npgsql" => new MetricStreamConfiguration { TagKeys = SafeNpgsqlTags },
                        _ => null,
                    })
                    // Every scrape reads the instruments now (the default keeps a scrape for 300 ms).
                    .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp) metrics.AddOtlpExporter();
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(MetronomeTelemetry.Name)
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath))
                    .AddHttpClientInstrumentation(o =>
                    {
                        o.EnrichWithHttpRequestMessage = (activity, request) => RedactRequest(activity, request.RequestUri);
                        o.EnrichWithException = (activity, _) => Redact(activity, "error.type");
                    })
                    .AddNpgsql()
                    // A database_action's commands belong to a tenant (its connection string, its statement): not recorded.
                    .AddProcessor(new TenantDatabaseSpans());
                if (otlp) tracing.AddOtlpExporter();
            });
    }

    /// <summary>Prometheus text of every instrument on <c>/metrics</c>, ahead of authentication.</summary>
    public static void UseMetricsEndpoint(this IApplicationBuilder app) => app.UseOpenTelemetryPrometheusScrapingEndpoint(MetricsPath);

    private static void RedactRequest(Activity activity, Uri? uri)
    {
        if (uri is null || !uri.IsAbsoluteUri) return;
        var redact = RedactorOf(activity);
        var url = uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        activity.SetTag("url.full", redact(url));
        activity.SetTag("server.address", redact(uri.Host));
    }

    private static void Redact(Activity activity, string tag)
    {
        if (activity.GetTagItem(tag) is string text) activity.SetTag(tag, RedactorOf(activity)(text));
        if (activity.StatusDescription is { } description) activity.SetStatus(activity.Status, RedactorOf(activity)(description));
    }

    /// <summary>The redactor of the attempt this span belongs to; outside an attempt, the URL carries no tenant's secret.</summary>
    private static Func<string?, string?> RedactorOf(Activity activity)
    {
        for (var a = activity.Parent; a is not null; a = a.Parent)
            if (a.GetCustomProperty(MetronomeTelemetry.RedactProperty) is Func<string?, string?> redact) return redact;
        return static text => text;
    }

    /// <summary>Unrecords Npgsql spans started inside an attempt (a <c>database_action</c>), so that no exporter sends them.</summary>
    private sealed class TenantDatabaseSpans : OpenTelemetry.BaseProcessor<Activity>
    {
        public override void OnStart(Activity data)
        {
            if (data.Source.Name != "Npgsql") return;
            for (var a = data.Parent; a is not null; a = a.Parent)
            {
                if (a.Source.Name != MetronomeTelemetry.Name) continue;
                data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
                data.IsAllDataRequested = false;
                return;
            }
        }
    }
}
