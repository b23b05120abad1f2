using Metronome.Core;
using Metronome.Core.Catalog;
using Metronome.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary>Unauthenticated operations endpoints: <c>/healthz</c> and <c>/metrics</c>.</summary>
internal static class OperationsEndpoints
{
    public static void MapOperations(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", HealthAsync).WithTags("Operations");
        app.MapGet("/metrics", (ServerMetrics metrics) => TypedResults.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"))
            .WithTags("Operations");
    }

    private static async Task<Results<Ok<HealthStatus>, ProblemHttpResult>> HealthAsync(CatalogService catalog, ILogger<HealthStatus> logger, CancellationToken ct)
    {
        try
        {
            await catalog.PingAsync(ct);
            return TypedResults.Ok(new HealthStatus("ok"));
        }
        catch (StoreUnavailableException e)
        {
            logger.LogWarning("Health check failed: {Reason}", e.Message);
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service Unavailable", detail: "The store cannot keep writes: " + e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Health check failed: the store does not answer");
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service Unavailable", detail: "The store does not answer.");
        }
    }

    internal sealed record HealthStatus(string Status);
}
