using Metronome.Contracts;
using Metronome.Core.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary>
/// <c>POST /api/products/{product}/schedule:preview</c>: the next five due instants of a schedule before it is saved (the
/// dashboard's job form shows them). A colon cannot occur in a product path segment's job routes, so the path is unambiguous.
/// </summary>
internal static class SchedulePreviewEndpoints
{
    public static void MapSchedulePreview(this RouteGroupBuilder api) =>
        api.MapPost("/products/{product}/schedule:preview", PreviewScheduleAsync).WithTags("Jobs").Accepts<SchedulePreviewRequest>("application/json")
            .WithSummary("Preview a schedule")
            .WithDescription("The next five due instants of {cron, time_zone?, start_at?} or {intervals, start_at?}, as a new job would have them; 400 names the fields at fault.");

    private static async Task<Ok<SchedulePreview>> PreviewScheduleAsync(string product, HttpRequest request, JobService jobs, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<SchedulePreviewRequest>(request, ct);
        return TypedResults.Ok(await jobs.PreviewScheduleAsync(product, body, ct));
    }
}
