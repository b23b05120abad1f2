using Metronome.Contracts;
using Metronome.Core.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary>
/// <c>POST …/jobs/{tag}/pause</c> with an optional body <c>{"until": instant}</c> (issue 14): without a body, or without
/// <c>until</c>, the job stays paused until resumed; with it the cluster's leader resumes the job then. An <c>until</c> not in
/// the future is a 400 naming <c>until</c>.
/// </summary>
internal static class JobPauseEndpoint
{
    public static RouteHandlerBuilder MapPause(this RouteGroupBuilder jobs) =>
        jobs.MapPost("/{tag}/pause", PauseJobAsync).Accepts<JobPauseRequest>(isOptional: true, "application/json").WithSummary("Pause a job")
            .WithDescription("Without a body the job stays paused until resumed; with {\"until\": instant} (in the future) it resumes by itself then.");

    private static async Task<Ok<ProductJob>> PauseJobAsync(string product, string tag, HttpRequest request, JobService jobs, CancellationToken ct)
    {
        // The body is optional: a pause without one (as before issue 14) sends no content and, usually, no Content-Type.
        bool hasBody = request.ContentLength > 0 || (request.ContentLength is null && request.ContentType is not null);
        var body = hasBody ? await JsonBody.ReadAsync<JobPauseRequest>(request, ct) : null;
        return TypedResults.Ok((await jobs.PauseAsync(product, tag, body, ct)).ToContract());
    }
}
