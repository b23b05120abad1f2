using Metronome.Contracts;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Core.Jobs;

/// <summary>The reads behind the dashboard: job search, runs across a product's jobs, a slot's runs and the overview's aggregates.</summary>
public sealed partial class JobService
{
    /// <summary>Longest <c>q</c> of a job search.</summary>
    public const int MaxSearchLength = 200;

    /// <summary>Longest window of <see cref="GetStatsAsync"/>, in minutes (a day).</summary>
    public const int MaxStatsMinutes = 1440;

    private const string RunStatusList = "running, succeeded, failed, timed_out, skipped, abandoned";

    /// <summary>
    /// Jobs of a product by id, filtered by status and by <paramref name="search"/> (<c>q</c>: a case-insensitive substring of
    /// the tag or the name; empty means no filter).
    /// </summary>
    public async Task<PageResult<Job>> SearchAsync(string product, string? search, string? status, int? limit, string? cursor, CancellationToken ct = default)
    {
        await RequireProductAsync(product, ct);
        var e = new ValidationErrors();
        var parsed = status is null ? null : JobMapping.ParseStatus(status);
        if (status is not null && parsed is null) e.Add("status", "status must be one of active, paused, completed.");
        if (search is { Length: > MaxSearchLength }) e.Add("q", $"q must be at most {MaxSearchLength} characters.");
        var size = CheckLimit(limit, e);
        e.ThrowIfAny();
        return await _store.ListJobsAsync(new JobQuery(product, parsed, size, cursor) { Search = string.IsNullOrEmpty(search) ? null : search }, ct);
    }

    /// <summary>A job's runs, newest first, filtered by status and by <paramref name="slot"/> (every run of that slot; 0: its triggered runs).</summary>
    public async Task<PageResult<Run>> ListJobRunsAsync(string product, string tag, string? status, long? slot, int? limit, string? cursor, CancellationToken ct = default)
    {
        await GetAsync(product, tag, ct);
        var e = new ValidationErrors();
        var parsed = status is null ? null : RunStatusNames.FromWire(status);
        if (status is not null && parsed is null) e.Add("status", $"status must be one of {RunStatusList}.");
        if (slot is < 0) e.Add("slot", "slot must be 0 (triggered runs) or a slot number from 1.");
        var size = CheckLimit(limit, e);
        e.ThrowIfAny();
        return await _store.ListRunsAsync(new RunQuery(product, tag, parsed, size, cursor) { Slot = slot }, ct);
    }

    /// <summary>
    /// Runs of every job of a product, newest first: the failures view. <paramref name="statuses"/> is a comma list of run
    /// statuses (any of them); <paramref name="job"/> narrows to one job's tag.
    /// </summary>
    public async Task<PageResult<Run>> ListProductRunsAsync(string product, string? statuses, string? job, int? limit, string? cursor, CancellationToken ct = default)
    {
        await RequireProductAsync(product, ct);
        var e = new ValidationErrors();
        List<RunStatus>? parsed = null;
        if (statuses is not null)
        {
            parsed = [];
            foreach (var part in statuses.Split(',', StringSplitOptions.TrimEntries))
            {
                if (RunStatusNames.FromWire(part) is { } s) { if (!parsed.Contains(s)) parsed.Add(s); }
                else { e.Add("status", $"status must be a comma list of {RunStatusList}; '{part}' is not one."); break; }
            }
        }
        if (job is { Length: 0 }) e.Add("job", "job must be a job tag when given.");
        var size = CheckLimit(limit, e);
        e.ThrowIfAny();
        return await _store.ListRunsAsync(new RunQuery(product, job, null, size, cursor) { Statuses = parsed }, ct);
    }

    /// <summary>
    /// The overview of a product over the last <paramref name="minutes"/> minutes (default 60; 1 to <see cref="MaxStatsMinutes"/>),
    /// the current minute last: jobs by status, runs ended by status, and one entry per minute, zero-filled.
    /// </summary>
    public async Task<ProductStats> GetStatsAsync(string product, int? minutes, CancellationToken ct = default)
    {
        await RequireProductAsync(product, ct);
        int window = minutes ?? 60;
        if (window is < 1 or > MaxStatsMinutes) throw ValidationFailedException.For("minutes", $"minutes must be between 1 and {MaxStatsMinutes}.");
        var now = _time.GetUtcNow();
        var currentMinute = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
        var query = new ActivityQuery(product, currentMinute.AddMinutes(1 - window), window);
        return StatsMapping.ToContract(query, await _store.GetProductActivityAsync(query, ct));
    }
}

/// <summary>The overview's wire shape from a store's <see cref="ProductActivity"/>: every minute of the window present, oldest first.</summary>
internal static class StatsMapping
{
    public static ProductStats ToContract(ActivityQuery query, ProductActivity activity)
    {
        var byMinute = activity.Minutes.ToDictionary(m => m.Minute);
        var minutes = new MinuteStats[query.Minutes];
        for (int i = 0; i < minutes.Length; i++)
        {
            var m = byMinute.GetValueOrDefault(i);
            minutes[i] = new MinuteStats
            {
                At = query.From.AddMinutes(i),
                Fires = m.Fires,
                Failures = m.Failures,
                // A run started a little before its slot (the claim's look-ahead) is not early in any useful sense.
                P99LatenessMs = m.P99LatenessMs is { } late ? Math.Max(0, late) : null,
            };
        }
        long Jobs(JobStatus s) => activity.JobsByStatus.GetValueOrDefault(s);
        long Runs(RunStatus s) => activity.RunsEnded.GetValueOrDefault(s);
        return new ProductStats
        {
            Jobs = new JobCounts { Active = Jobs(JobStatus.Active), Paused = Jobs(JobStatus.Paused), Completed = Jobs(JobStatus.Completed), Running = activity.JobsRunning },
            Runs = new RunCounts
            {
                Succeeded = Runs(RunStatus.Succeeded), Failed = Runs(RunStatus.Failed), TimedOut = Runs(RunStatus.TimedOut),
                Skipped = Runs(RunStatus.Skipped), Abandoned = Runs(RunStatus.Abandoned), Running = activity.RunsRunning,
            },
            Minutes = minutes,
        };
    }
}
