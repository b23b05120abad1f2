using Metronome.Contracts;
using Metronome.Core.Jobs;
using Metronome.Server.OpenApi;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary>Run history: a job's runs (newest first) and one run by id.</summary>
internal static class RunsEndpoints
{
    public static void MapRuns(this RouteGroupBuilder api)
    {
        api.MapGet("/products/{product}/jobs/{tag}/runs", ListJobRunsAsync).WithTags("Runs").WithSummary("List a job's runs, newest first")
            .QueryEnum("status", WireSchemas.RunStatus, "Only runs with this status.");
        api.MapGet("/products/{product}/runs/{id}", GetRunAsync).WithTags("Runs").WithSummary("Get a run");
    }

    private static async Task<Ok<Page<JobRun>>> ListJobRunsAsync(
        string product, string tag, string? status, string? limit, string? cursor, JobService jobs, CancellationToken ct)
    {
        var page = await jobs.ListRunsAsync(product, tag, status, JsonBody.QueryInt(limit, "limit"), cursor, ct);
        return TypedResults.Ok(page.ToContract());
    }

    private static async Task<Ok<JobRun>> GetRunAsync(string product, string id, JobService jobs, CancellationToken ct) =>
        TypedResults.Ok((await jobs.GetRunAsync(product, id, ct)).ToContract());
}
