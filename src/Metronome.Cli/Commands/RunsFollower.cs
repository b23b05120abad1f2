using System.Net;
using Metronome.Contracts;

namespace Metronome.Cli.Commands;

/// <summary>
/// <c>jobs runs TAG --follow</c>: prints the latest runs, then polls the newest page every 500 ms and prints each run it
/// has not printed yet, or whose status changed (a run appears as <c>running</c> and is printed again when it ends).
/// Polling (not a stream) keeps the server API plain; 500 ms is well under a person's patience and costs one indexed read.
/// </summary>
internal static class RunsFollower
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public static async Task FollowAsync(IProductJobs jobs, string tag, string? status, int limit, Renderer render, CliConsole console, CancellationToken ct)
    {
        var printed = new Dictionary<string, string?>(StringComparer.Ordinal);
        var first = true;
        var unreachable = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var page = await jobs.ListRunsAsync(tag, status, first ? limit : 100, null, ct);
                if (unreachable) { await console.Error.WriteLineAsync("metronome: server reachable again"); unreachable = false; }
                // Newest first on the wire; print in the order things happened.
                foreach (var run in page.Items.Reverse())
                {
                    if (run.Id is null || (printed.TryGetValue(run.Id, out var seen) && seen == run.Status)) continue;
                    printed[run.Id] = run.Status;
                    render.RunLine(run);
                }
                if (first && page.Items.Count == 0 && !render.Json) console.Out.WriteLine($"Waiting for runs of job '{tag}' (Ctrl+C to stop)...");
                first = false;
            }
            catch (MetronomeApiException e) when (e.IsTransportFailure || e.StatusCode >= HttpStatusCode.InternalServerError)
            {
                // A restarting server is not a reason to stop tailing; say so once and keep polling.
                if (!unreachable) await console.Error.WriteLineAsync($"metronome: {e.Detail}; retrying");
                unreachable = true;
            }
            await Task.Delay(PollInterval, ct);
        }
    }
}
