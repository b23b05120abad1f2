using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Storage.InMemory;

public sealed partial class InMemoryJobStore
{
    /// <inheritdoc />
    /// <remarks>The same counts as the SQL stores' statements (the conformance suite holds them equal), by a scan of the product's runs.</remarks>
    public Task<ProductActivity> GetProductActivityAsync(ActivityQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        long from = query.From.ToUnixTimeMilliseconds(), to = query.To.ToUnixTimeMilliseconds();
        var low = query.LowestRunId;
        var jobs = new Dictionary<JobStatus, long>();
        long jobsRunning = 0, running = 0;
        var ended = new Dictionary<RunStatus, long>();
        var lateness = new SortedDictionary<int, List<long>>();
        var failures = new SortedDictionary<int, long>();
        lock (_gate)
        {
            foreach (var job in _jobs.Values.Where(j => j.Product == query.Product))
            {
                jobs[job.Status] = jobs.GetValueOrDefault(job.Status) + 1;
                if (job.InFlight > 0) jobsRunning++;
            }
            foreach (var history in _histories.Where(h => h.Key.Product == query.Product).Select(h => h.Value))
                foreach (var row in history.Rows)
                {
                    var run = row.Run;
                    if (run.Status == RunStatus.Running && run.Node is not null) running++; // a queued backfill run is not in flight yet
                    if (string.CompareOrdinal(run.Id, low) < 0) continue;
                    if (run.Status != RunStatus.Skipped && run.StartedAt?.ToUnixTimeMilliseconds() is { } started && started >= from && started < to)
                    {
                        int m = (int)((started - from) / 60_000);
                        if (!lateness.TryGetValue(m, out var list)) lateness[m] = list = [];
                        list.Add(started - run.ScheduledAt.ToUnixTimeMilliseconds());
                    }
                    if (run.FinishedAt?.ToUnixTimeMilliseconds() is { } finished && finished >= from && finished < to)
                    {
                        ended[run.Status] = ended.GetValueOrDefault(run.Status) + 1;
                        if (run.Status is RunStatus.Failed or RunStatus.TimedOut or RunStatus.Abandoned)
                        {
                            int m = (int)((finished - from) / 60_000);
                            failures[m] = failures.GetValueOrDefault(m) + 1;
                        }
                    }
                }
        }
        var minutes = lateness.Keys.Union(failures.Keys).Order().Select(m =>
        {
            long? p99 = null;
            long fires = 0;
            if (lateness.TryGetValue(m, out var list))
            {
                list.Sort();
                fires = list.Count;
                p99 = list[(int)((99 * fires + 99) / 100) - 1]; // nearest rank ⌈0.99 n⌉
            }
            return new MinuteActivity(m, fires, failures.GetValueOrDefault(m), p99);
        }).ToList();
        return Task.FromResult(new ProductActivity(jobs, jobsRunning, ended, running, minutes));
    }
}
