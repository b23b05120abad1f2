using Metronome.Contracts;
using Metronome.Core.Jobs;
using Metronome.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary><c>/api/products/{product}/jobs</c>: the seed's jobs API, plus pause, resume and trigger.</summary>
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
    }

    private static async Task<Created<ProductJob>> CreateAsync(string product, HttpRequest request, JobService jobs, ServerMetrics metrics, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<ProductJob>(request, ct);
        var job = await jobs.CreateAsync(product, body, ct);
        metrics.JobCreated();
        return TypedResults.Created(Routes.Job(product, job.Tag), job.ToContract());
    }

    private static async Task<Ok<Page<ProductJob>>> ListAsync(
        string product, string? status, string? limit, string? cursor, JobService jobs, CancellationToken ct)
    {
        var page = await jobs.ListAsync(product, status, JsonBody.QueryInt(limit, "limit"), cursor, ct);
        return TypedResults.Ok(new Page<ProductJob> { Items = [.. page.Items.Select(j => j.ToContract())], NextCursor = page.NextCursor });
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
