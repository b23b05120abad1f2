using System.Collections.Concurrent;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Scheduling;

namespace Metronome.Core.Jobs;

public sealed partial class JobService
{
    /// <summary>One apply at a time per product in this process, so two concurrent applies cannot both create or update a job.</summary>
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _applyLocks = new(StringComparer.Ordinal);

    /// <summary>
    /// Makes the product's jobs match <paramref name="jobs"/> (declarative apply): creates the missing ones, updates those
    /// whose compared fields differ (only those fields, through <see cref="UpdateAsync"/>), and with
    /// <paramref name="prune"/> deletes the jobs not listed. Every job is validated first: a
    /// <see cref="ValidationFailedException"/> naming <c>jobs[i].field</c> (duplicate tags included) means nothing was
    /// changed. Unchanged jobs are not written, so a second identical apply changes (and audits) nothing. A job's
    /// status is state, not spec: a paused job stays paused. With <paramref name="dryRun"/> nothing is written.
    /// </summary>
    public async Task<JobsApplyResult> ApplyAsync(string product, IReadOnlyList<ProductJob?>? jobs, bool prune, bool dryRun, CancellationToken ct = default)
    {
        if (jobs is null) throw ValidationFailedException.For("jobs", "jobs is required (a list of jobs; an empty list with prune deletes every job).");
        await RequireProductAsync(product, ct);
        var wanted = await ValidateApplyAsync(product, jobs, ct);
        if (dryRun) return await PlanAsync(product, wanted, prune, ct);

        var gate = _applyLocks.GetOrAdd(product, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var plan = await PlanAsync(product, wanted, prune, ct);
            return await ExecuteAsync(product, wanted, plan, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    private sealed record WantedJob(ProductJob Request, JsonElement Desired, JsonElement Given);

    private async Task<Dictionary<string, WantedJob>> ValidateApplyAsync(string product, IReadOnlyList<ProductJob?> jobs, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var errors = new ValidationErrors();
        var wanted = new Dictionary<string, WantedJob>(StringComparer.Ordinal);
        var firstIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < jobs.Count; i++)
        {
            var prefix = $"jobs[{i}]";
            if (jobs[i] is not { } request) { errors.Add(prefix, $"{prefix} must be a job object."); continue; }
            try
            {
                // The checks CreateAsync makes, so that a job refused there is refused here, before anything is written:
                // a check added to CreateAsync (another event the job refers to) belongs here too.
                var spec = JobValidator.ValidateCreate(request, _options.Limits, now);
                await RequireEventAsync(product, spec.EventType, spec.EventTag, ct);
                await RequireFailureHookAsync(product, spec.OnFailure, ct);
                if (firstIndex.TryGetValue(spec.Tag, out var first))
                {
                    errors.Add($"{prefix}.tag", $"tag '{spec.Tag}' is already used by jobs[{first}].");
                    continue;
                }
                firstIndex[spec.Tag] = i;
                var desired = JobDiff.ToElement(JobTransitions.Create(product, spec, now).ToContract());
                wanted[spec.Tag] = new WantedJob(request, desired, JsonSerializer.SerializeToElement(request, MetronomeJson.Options));
            }
            catch (ValidationFailedException e)
            {
                foreach (var (field, messages) in e.Errors)
                    foreach (var message in messages) errors.Add($"{prefix}.{field}", message);
            }
        }
        errors.ThrowIfAny();
        return wanted;
    }

    private async Task<JobsApplyResult> PlanAsync(string product, Dictionary<string, WantedJob> wanted, bool prune, CancellationToken ct)
    {
        var existing = await AllJobsAsync(product, ct);
        var created = new List<string>();
        var updated = new List<JobApplyUpdate>();
        var unchanged = new List<string>();
        foreach (var (tag, want) in wanted.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            if (!existing.TryGetValue(tag, out var current)) { created.Add(tag); continue; }
            var changes = JobDiff.Compare(JobDiff.ToElement(current.ToContract()), want.Desired, want.Given, JobDiff.ComparedFields);
            if (changes.Count == 0) unchanged.Add(tag);
            else updated.Add(new JobApplyUpdate { Tag = tag, Changes = changes });
        }
        var deleted = prune ? existing.Keys.Where(t => !wanted.ContainsKey(t)).Order(StringComparer.Ordinal).ToList() : [];
        return new JobsApplyResult { DryRun = true, Created = created, Updated = updated, Deleted = deleted, Unchanged = unchanged };
    }

    /// <summary>
    /// Carries out a plan made under the apply lock. Another node may change the same jobs meanwhile (PostgreSQL cluster):
    /// a create whose tag was just taken is re-compared and updated or left alone; an update of a job just deleted
    /// creates it; a delete of a job already gone is left out. Every write goes through the one-job calls, so it is
    /// validated, audited and signalled to the engine as any other.
    /// </summary>
    private async Task<JobsApplyResult> ExecuteAsync(string product, Dictionary<string, WantedJob> wanted, JobsApplyResult plan, CancellationToken ct)
    {
        var created = new List<string>();
        var updated = new List<JobApplyUpdate>();
        var unchanged = new List<string>(plan.Unchanged);
        foreach (var tag in plan.Created)
        {
            try
            {
                await CreateAsync(product, wanted[tag].Request, ct);
                created.Add(tag);
            }
            catch (ConflictException)
            {
                var current = await GetAsync(product, tag, ct);
                var changes = JobDiff.Compare(JobDiff.ToElement(current.ToContract()), wanted[tag].Desired, wanted[tag].Given, JobDiff.ComparedFields);
                if (changes.Count == 0) { unchanged.Add(tag); continue; }
                await UpdateAsync(product, tag, JobDiff.ToUpdate(changes), ct);
                updated.Add(new JobApplyUpdate { Tag = tag, Changes = changes });
            }
        }
        foreach (var update in plan.Updated)
        {
            try
            {
                await UpdateAsync(product, update.Tag, JobDiff.ToUpdate(update.Changes), ct);
                updated.Add(update);
            }
            catch (NotFoundException)
            {
                await CreateAsync(product, wanted[update.Tag].Request, ct);
                created.Add(update.Tag);
            }
        }
        var deleted = new List<string>();
        foreach (var tag in plan.Deleted)
        {
            try
            {
                await DeleteAsync(product, tag, ct);
                deleted.Add(tag);
            }
            catch (NotFoundException)
            {
                // Deleted meanwhile by someone else: the product matches the file all the same.
            }
        }
        return new JobsApplyResult { DryRun = false, Created = created, Updated = updated, Deleted = deleted, Unchanged = unchanged };
    }

    private async Task<Dictionary<string, Job>> AllJobsAsync(string product, CancellationToken ct)
    {
        var all = new Dictionary<string, Job>(StringComparer.Ordinal);
        string? cursor = null;
        do
        {
            var page = await SearchAsync(product, search: null, status: null, limit: MaxBulkItems, cursor, ct);
            foreach (var job in page.Items) all[job.Tag] = job;
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return all;
    }
}
