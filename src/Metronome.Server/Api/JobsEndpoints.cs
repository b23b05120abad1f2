using Metronome.Contracts;
using Metronome.Core.Jobs;
using Metronome.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary>
/// <c>/api/products/{product}/jobs</c>: the seed's jobs API, plus pause, resume and trigger, and the bulk create
/// <c>POST .../jobs:bulk</c> (a colon cannot occur in a job tag, so that path can never be a job's URL). The list takes
/// <c>q</c> (a case-insensitive substring of the tag or name) besides <c>status</c>, <c>limit</c> and <c>cursor</c>.
/// </summary>
internal static class JobsEndpoints
{
    public static void MapJobs(this RouteGroupBuilder api)
    {
        var jobs = api.MapGroup("/products/{product}/jobs").WithTags("Jobs");
        jobs.MapPost("/", CreateAsync).Accepts<ProductJob>("application/json");
        jobs.MapGet("/", ListAsync);
        jobs.MapGet("/{tag}", GetAsync);
        jobs.MapPatch("/{tag}", UpdateAsync).Accepts<ProductJobUpdate>("application/json", "application/merge-patch+json");
        jobs.MapDelete("/{tag}", DeleteAsync);
        jobs.MapPost("/{tag}/pause", PauseAsync);
        jobs.MapPost("/{tag}/resume", ResumeAsync);
        jobs.MapPost("/{tag}/trigger", TriggerAsync);
        api.MapPost("/products/{product}/jobs:bulk", CreateManyAsync).WithTags("Jobs").Accepts<BulkJobsRequest>("application/json");
    }

    private static async Task<Created<ProductJob>> CreateAsync(string product, HttpRequest request, JobService jobs, ServerMetrics metrics, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<ProductJob>(request, ct);
        var job = await jobs.CreateAsync(product, body, ct);
        metrics.JobCreated();
        return TypedResults.Created(Routes.Job(product, job.Tag), job.ToContract());
    }

    private static async Task<Ok<BulkJobsResponse>> CreateManyAsync(string product, HttpRequest request, JobService jobs, ServerMetrics metrics, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<BulkJobsRequest>(request, ct);
        var outcomes = await jobs.CreateManyAsync(product, body.Items, ct);
        var items = new List<BulkJobResult>(outcomes.Count);
        foreach (var outcome in outcomes)
        {
            if (outcome.Created is { } job)
            {
                metrics.JobCreated();
                items.Add(new BulkJobResult { Tag = job.Tag, Status = StatusCodes.Status201Created, Job = job.ToContract() });
            }
            else if (outcome.Conflict is { } conflict)
                items.Add(new BulkJobResult { Tag = outcome.Tag, Status = StatusCodes.Status409Conflict, Detail = conflict.Message });
            else
                items.Add(new BulkJobResult { Tag = outcome.Tag, Status = StatusCodes.Status400BadRequest, Errors = outcome.Invalid?.Errors });
        }
        return TypedResults.Ok(new BulkJobsResponse { Items = items });
    }

    private static async Task<Ok<Page<ProductJob>>> ListAsync(
        string product, string? q, string? status, string? limit, string? cursor, JobService jobs, CancellationToken ct)
    {
        var page = await jobs.SearchAsync(product, q, status, JsonBody.QueryInt(limit, "limit"), cursor, ct);
        return TypedResults.Ok(page.ToContract());
    }

    private static async Task<Ok<ProductJob>> GetAsync(string product, string tag, JobService jobs, CancellationToken ct) =>
        TypedResults.Ok((await jobs.GetAsync(product, tag, ct)).ToContract());

    private static async Task<Ok<ProductJob>> UpdateAsync(string product, string tag, HttpRequest request, JobService jobs, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<ProductJobUpdate>(request, ct);
        return TypedResults.Ok((await jobs.UpdateAsync(product, tag, body, ct)).ToContract());
    }

    private static async Task<NoContent> DeleteAsync(string product, string tag, JobService jobs, CancellationToken ct)
    {
        await jobs.DeleteAsync(product, tag, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<ProductJob>> PauseAsync(string product, string tag, JobService jobs, CancellationToken ct) =>
        TypedResults.Ok((await jobs.PauseAsync(product, tag, ct)).ToContract());

    private static async Task<Ok<ProductJob>> ResumeAsync(string product, string tag, JobService jobs, CancellationToken ct) =>
        TypedResults.Ok((await jobs.ResumeAsync(product, tag, ct)).ToContract());

    private static async Task<Accepted<JobRun>> TriggerAsync(string product, string tag, JobService jobs, ServerMetrics metrics, CancellationToken ct)
    {
        var run = await jobs.TriggerAsync(product, tag, ct);
        metrics.JobTriggered();
        return TypedResults.Accepted(Routes.Run(product, run.Id), run.ToContract());
    }
}
