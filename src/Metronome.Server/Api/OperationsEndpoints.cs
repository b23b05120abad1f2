using System.Text.Json;
using Metronome.Server.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Metronome.Server.Api;

/// <summary>
/// Unauthenticated operations endpoints: the health checks (<c>/livez</c>, <c>/readyz</c> and its alias <c>/healthz</c>;
/// ASP.NET Core health checks registered by <c>AddHealthChecks().AddMetronome()</c>) (<c>/metrics</c> is OpenTelemetry's: Hosting/Telemetry.cs).
/// </summary>
internal static class OperationsEndpoints
{
    public static void MapOperations(this IEndpointRouteBuilder app)
    {
        app.MapHealth();
    }

    /// <summary>
    /// <c>/livez</c>: the process and its engine loop are alive. <c>/readyz</c> (and <c>/healthz</c>): the store takes writes
    /// and is migrated, and in a cluster the node has joined. 200 when every check of the set is healthy, else 503; the
    /// body names each check with its status and a short description (never a connection string or a secret).
    /// </summary>
    private static void MapHealth(this IEndpointRouteBuilder app)
    {
        Map(app, "/livez", MetronomeHealthChecks.LiveTag);
        Map(app, "/readyz", MetronomeHealthChecks.ReadyTag);
        Map(app, "/healthz", MetronomeHealthChecks.ReadyTag);
    }

    private static void Map(IEndpointRouteBuilder app, string path, string tag) =>
        app.MapHealthChecks(path, new HealthCheckOptions { Predicate = c => c.Tags.Contains(tag), ResponseWriter = WriteAsync })
            .WithMetadata(new HttpMethodMetadata(["GET", "HEAD"]))
            .AllowAnonymous()
            .WithTags("Operations");

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        var body = new HealthBody(Name(report.Status), [.. report.Entries.Select(e => new HealthEntry(e.Key, Name(e.Value.Status), e.Value.Description ?? ""))]);
        return JsonSerializer.SerializeAsync(http.Response.Body, body, HealthJson.Default.HealthBody, http.RequestAborted);
    }

    private static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };

    internal sealed record HealthBody(string Status, IReadOnlyList<HealthEntry> Checks);

    internal sealed record HealthEntry(string Name, string Status, string Description);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(OperationsEndpoints.HealthBody))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class HealthJson : System.Text.Json.Serialization.JsonSerializerContext;
