using Metronome.Contracts;
using Metronome.Core.Jobs;
using Metronome.Server.OpenApi;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Metronome.Server.Api;

/// <summary>
/// <c>POST /api/products/{product}/jobs:apply?prune=&amp;dry_run=</c>: declarative apply (docs/apply.md). Like
/// <c>jobs:bulk</c>, the colon keeps the path apart from every job's URL (a tag cannot hold one).
/// </summary>
internal static class JobsApplyEndpoint
{
    public static void MapJobsApply(this RouteGroupBuilder api) =>
        api.MapPost("/products/{product}/jobs:apply", ApplyJobsAsync).WithTags("Jobs").Accepts<JobsApplyRequest>("application/json")
            .WithSummary("Apply a set of jobs")
            .WithDescription("Makes the product's jobs match the body: creates missing jobs, updates the fields that differ, and with prune=true "
                + "deletes jobs not listed. Everything is validated first (400 with errors keyed jobs[i].field, nothing applied). "
                + "Unchanged jobs are not written, so applying twice changes nothing. dry_run=true reports the same diff and writes nothing.")
            .QueryBoolean("prune", "Delete the product's jobs that the body does not list.")
            .QueryBoolean("dry_run", "Report what would change without changing anything.");

    private static async Task<Ok<JobsApplyResult>> ApplyJobsAsync(
        string product, string? prune, [FromQuery(Name = "dry_run")] string? dryRun, HttpRequest request, JobService jobs, CancellationToken ct)
    {
        var pruneJobs = JsonBody.QueryBool(prune, "prune");
        var dryRunOnly = JsonBody.QueryBool(dryRun, "dry_run");
        var body = await JsonBody.ReadAsync<JobsApplyRequest>(request, ct);
        return TypedResults.Ok(await jobs.ApplyAsync(product, body.Jobs, pruneJobs, dryRunOnly, ct));
    }
}
