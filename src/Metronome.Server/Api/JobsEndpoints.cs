using Metronome.Contracts;
using Metronome.Core.Jobs;
using Metronome.Server.OpenApi;
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
        jobs.MapPost("/", CreateJobAsync).Accepts<ProductJob>("application/json").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create a job").WithDescription("Creates a job executing an existing event of the product; 409 when the tag is taken.");
        jobs.MapGet("/", ListJobsAsync).WithSummary("List jobs").QueryEnum("status", WireSchemas.JobStatus, "Only jobs with this status.");
        jobs.MapGet("/{tag}", GetJobAsync).WithSummary("Get a job").WithDescription("The job with next_runs, its next five due instants (grid instants, jitter not included).");
        jobs.MapPatch("/{tag}", UpdateJobAsync).Accepts<ProductJobUpdate>("application/json", "application/merge-patch+json")
            .WithSummary("Update a job").WithDescription("Changes only the fields given; takes effect at once (a new intervals re-anchors).");
        jobs.MapDelete("/{tag}", DeleteJobAsync).WithSummary("Delete a job");
        jobs.MapPause();
        jobs.MapPost("/{tag}/resume", ResumeJobAsync).WithSummary("Resume a job").WithDescription("The next slot is the next grid point after now.");
        jobs.MapPost("/{tag}/trigger", TriggerJobAsync).WithSummary("Trigger a job now")
            .WithDescription("One extra execution at once, outside the grid, counted in executions_done.");
        jobs.MapPost("/{tag}/backfill", JobBackfillEndpoint.BackfillJobAsync).Accepts<JobBackfillRequest>("application/json")
            .WithSummary(JobBackfillEndpoint.Summary).WithDescription(JobBackfillEndpoint.Description);
        api.MapPost("/products/{product}/jobs:bulk", CreateJobsInBulkAsync).WithTags("Jobs").Accepts<BulkJobsRequest>("application/json")
            .WithSummary("Create jobs in bulk").WithDescription("1–1,000 jobs; each item succeeds or fails on its own (status 201, 400 or 409).");
        api.MapSchedulePreview();
        api.MapJobsApply();
    }

    private static async Task<Created<ProductJob>> CreateJobAsync(string product, HttpRequest request, JobService jobs, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<ProductJob>(request, ct);
        var job = await jobs.CreateAsync(product, body, ct);
        return TypedResults.Created(Routes.Job(product, job.Tag), job.ToContract());
    }

    private static async Task<Ok<BulkJobsResponse>> CreateJobsInBulkAsync(string product, HttpRequest request, JobService jobs, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<BulkJobsRequest>(request, ct);
        var outcomes = await jobs.CreateManyAsync(product, body.Items, ct);
        var items = new List<BulkJobResult>(outcomes.Count);
        foreach (var outcome in outcomes)
        {
            if (outcome.Created is { } job)
                items.Add(new BulkJobResult { Tag = job.Tag, Status = StatusCodes.Status201Created, Job = job.ToContract() });
            else if (outcome.Conflict is { } conflict)
                items.Add(new BulkJobResult { Tag = outcome.Tag, Status = StatusCodes.Status409Conflict, Detail = conflict.Message });
            else
                items.Add(new BulkJobResult { Tag = outcome.Tag, Status = StatusCodes.Status400BadRequest, Errors = outcome.Invalid?.Errors });
        }
        return TypedResults.Ok(new BulkJobsResponse { Items = items });
    }

    private static async Task<Ok<Page<ProductJob>>> ListJobsAsync(
        string product, string? q, string? status, string? limit, string? cursor, JobService jobs, CancellationToken ct)
    {
        var page = await jobs.SearchAsync(product, q, status, JsonBody.QueryInt(limit, "limit"), cursor, ct);
        return TypedResults.Ok(page.ToContract());
    }

    private static async Task<Ok<ProductJob>> GetJobAsync(string product, string tag, JobService jobs, CancellationToken ct) =>
        TypedResults.Ok(await jobs.GetWithNextRunsAsync(product, tag, ct));

    private static async Task<Ok<ProductJob>> UpdateJobAsync(string product, string tag, HttpRequest request, JobService jobs, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<ProductJobUpdate>(request, ct);
        return TypedResults.Ok((await jobs.UpdateAsync(product, tag, body, ct)).ToContract());
    }

    private static async Task<NoContent> DeleteJobAsync(string product, string tag, JobService jobs, CancellationToken ct)
    {
        await jobs.DeleteAsync(product, tag, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<ProductJob>> ResumeJobAsync(string product, string tag, JobService jobs, CancellationToken ct) =>
        TypedResults.Ok((await jobs.ResumeAsync(product, tag, ct)).ToContract());

    private static async Task<Accepted<JobRun>> TriggerJobAsync(string product, string tag, JobService jobs, CancellationToken ct)
    {
        var run = await jobs.TriggerAsync(product, tag, ct);
        return TypedResults.Accepted(Routes.Run(product, run.Id), run.ToContract());
    }
}
