using Metronome.Contracts;
using Metronome.Core.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary><c>/api/products/{product}/stats</c>: the dashboard overview's aggregates, computed by the store.</summary>
internal static class StatsEndpoints
{
    public static void MapStats(this RouteGroupBuilder api)
    {
        api.MapGet("/products/{product}/stats", GetAsync).WithTags("Stats").WithName("getStats");
    }

    private static async Task<Ok<ProductStats>> GetAsync(string product, string? minutes, JobService jobs, CancellationToken ct) =>
        TypedResults.Ok(await jobs.GetStatsAsync(product, JsonBody.QueryInt(minutes, "minutes"), ct));
}
