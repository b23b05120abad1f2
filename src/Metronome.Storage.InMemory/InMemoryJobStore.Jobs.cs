using System.Globalization;
using Metronome.Core;
using Metronome.Core.Jobs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;

namespace Metronome.Storage.InMemory;

public sealed partial class InMemoryJobStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<ScheduleEntry>> LoadScheduleAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            var list = new List<ScheduleEntry>(_jobs.Count);
            foreach (var job in _jobs.Values)
                if (job.Status == JobStatus.Active && !job.ExecutionsExhausted) list.Add(new ScheduleEntry(job.Id, job.NextDueAt));
            list.Sort((a, b) => a.DueAt!.Value.CompareTo(b.DueAt!.Value));
            return Task.FromResult<IReadOnlyList<ScheduleEntry>>(list);
        }
    }

    /// <inheritdoc />
    public Task<ClaimResult> ClaimDueSlotsAsync(ClaimParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.JobIds.Count == 0) return Task.FromResult(new ClaimResult([], []));
        var seen = new HashSet<long>(p.JobIds.Count);
        var runs = new List<ClaimedRun>();
        var schedule = new List<ScheduleEntry>(p.JobIds.Count);
        Func<string> newRunId = _runIds.Next;
        lock (_gate)
        {
            foreach (var id in p.JobIds)
            {
                if (!seen.Add(id)) continue;
                var job = _jobs.GetValueOrDefault(id);
                var claim = JobLedger.Claim(id, job, p, newRunId);
                // Slots come from the planner, above the job's next slot: no need to look for a duplicate.
                foreach (var claimed in claim.Runs) InsertRun(claimed.Run, job!.Retries.MaxAttempts, checkSlot: false);
                foreach (var run in claim.Skipped) InsertRun(run, job!.Retries.MaxAttempts, checkSlot: false);
                if (claim.Extended is { } more) ExtendSkipped(more);
                runs.AddRange(claim.Runs);
                if (claim.Next is { } next) _jobs[id] = next;
                schedule.Add(claim.Entry);
            }
        }
        return Task.FromResult(new ClaimResult(runs, schedule));
    }

    /// <inheritdoc />
    public Task<Job> CreateJobAsync(Job job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (_gate)
        {
            if (_jobIds.ContainsKey((job.Product, job.Tag)))
                throw new ConflictException($"job '{job.Tag}' already exists in product '{job.Product}'");
            var created = job with { Id = ++_lastJobId }; // never reused, so a late completion cannot touch a newer job
            _jobs.Add(created.Id, created);
            _jobIds.Add((job.Product, job.Tag), created.Id);
            return Task.FromResult(created);
        }
    }

    /// <inheritdoc />
    public Task<Job?> GetJobAsync(string product, string tag, CancellationToken ct)
    {
        lock (_gate) return Task.FromResult(FindJob(product, tag));
    }

    /// <inheritdoc />
    public Task<PageResult<Job>> ListJobsAsync(JobQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        long after = StorePaging.JobsAfter(query);
        List<Job> items;
        lock (_gate)
        {
            items = _jobs.Values
                .Where(j => j.Product == query.Product && j.Id > after && (query.Status is null || j.Status == query.Status)
                    && (query.Search is not { } q || j.Tag.Contains(q, StringComparison.OrdinalIgnoreCase) || j.Name.Contains(q, StringComparison.OrdinalIgnoreCase)))
                .OrderBy(j => j.Id).Take(StorePaging.Take(query.Limit)).ToList();
        }
        return Task.FromResult(StorePaging.Page(items, query.Limit, StorePaging.JobKey));
    }

    /// <inheritdoc />
    public Task<Job> ModifyJobAsync(string product, string tag, Func<Job, Job> change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            var current = FindJob(product, tag) ?? throw JobNotFound(product, tag);
            var next = change(current) with { Id = current.Id, Product = current.Product, Tag = current.Tag, CreatedAt = current.CreatedAt };
            _jobs[current.Id] = next;
            return Task.FromResult(next);
        }
    }

    /// <inheritdoc />
    public Task<long?> DeleteJobAsync(string product, string tag, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_jobIds.Remove((product, tag), out var id)) return Task.FromResult<long?>(null);
            _jobs.Remove(id);
            return Task.FromResult<long?>(id);
        }
    }

    /// <inheritdoc />
    public Task<ClaimedRun> TriggerJobAsync(TriggerParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        lock (_gate)
        {
            var job = FindJob(p.Product, p.Tag) ?? throw JobNotFound(p.Product, p.Tag);
            var trigger = JobLedger.Trigger(job, p.RunId, p.Node, p.Now);
            InsertRun(trigger.Run, job.Retries.MaxAttempts, checkSlot: false);
            _jobs[job.Id] = trigger.Next;
            return Task.FromResult(trigger.Claimed);
        }
    }

    private Job? FindJob(string product, string tag) =>
        _jobIds.TryGetValue((product, tag), out var id) ? _jobs[id] : null;

    private static NotFoundException JobNotFound(string product, string tag) => new($"job '{tag}' not found in product '{product}'");
}
