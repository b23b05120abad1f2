using Metronome.Contracts;
using Metronome.Core.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary><c>POST /api/products/{product}/jobs/{tag}/backfill</c> (SPEC §6): queues the grid slots without a run in a range.</summary>
internal static class JobBackfillEndpoint
{
    public const string Summary = "Backfill a job";

    public const string Description =
        "Runs every slot of the job's grid due in [from, to) that has no run yet, in slot order, each with its own slot number " +
        "and idempotency key; to in the future is cut to now. Answers 202 with the number of slots queued (0 when they all have " +
        "runs); 400 when the range holds more than 10,000 grid slots.";

    public static async Task<Accepted<JobBackfillResponse>> BackfillJobAsync(string product, string tag, HttpRequest request, JobService jobs, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<JobBackfillRequest>(request, ct);
        var result = await jobs.BackfillAsync(product, tag, body, ct);
        return TypedResults.Accepted(Routes.JobRuns(product, tag), new JobBackfillResponse { Slots = result.Queued });
    }
}
