using Metronome.Contracts;
using Metronome.Core.Jobs;
using Metronome.Server.OpenApi;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary>
/// Run history: a job's runs (newest first, optionally one slot's), the runs of every job of a product (the failures view,
/// by a comma list of statuses) and one run by id.
/// <c>?slot=N</c> lists the runs of slot N, which the dashboard contract calls "every attempt": all attempts of a slot share
/// one run record (its <c>attempt</c> is the latest number, its error the latest failure), so a grid slot has one run and slot
/// 0 one per trigger; earlier attempts' errors are not kept.
/// </summary>
internal static class RunsEndpoints
{
    public static void MapRuns(this RouteGroupBuilder api)
    {
        api.MapGet("/products/{product}/jobs/{tag}/runs", ListJobRunsAsync).WithTags("Runs").WithSummary("List a job's runs, newest first")
            .QueryEnum("status", WireSchemas.RunStatus, "Only runs with this status.");
        api.MapGet("/products/{product}/runs", ListProductRunsAsync).WithTags("Runs").WithName("listProductRuns")
            .WithSummary("List the product's runs across its jobs, newest first");
        api.MapGet("/products/{product}/runs/{id}", GetRunAsync).WithTags("Runs").WithSummary("Get a run");
    }

    private static async Task<Ok<Page<JobRun>>> ListJobRunsAsync(
        string product, string tag, string? status, string? slot, string? limit, string? cursor, JobService jobs, CancellationToken ct)
    {
        var page = await jobs.ListJobRunsAsync(product, tag, status, JsonBody.QueryInt(slot, "slot"), JsonBody.QueryInt(limit, "limit"), cursor, ct);
        return TypedResults.Ok(page.ToContract());
    }

    private static async Task<Ok<Page<JobRun>>> ListProductRunsAsync(
        string product, string? status, string? job, string? limit, string? cursor, JobService jobs, CancellationToken ct)
    {
        var page = await jobs.ListProductRunsAsync(product, status, job, JsonBody.QueryInt(limit, "limit"), cursor, ct);
        return TypedResults.Ok(page.ToContract());
    }

    private static async Task<Ok<JobRun>> GetRunAsync(string product, string id, JobService jobs, CancellationToken ct) =>
        TypedResults.Ok((await jobs.GetRunAsync(product, id, ct)).ToContract());
}
