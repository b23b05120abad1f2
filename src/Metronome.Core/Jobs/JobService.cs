using Metronome.Contracts;
using Metronome.Core.Engine;
using Metronome.Core.Hosting;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Microsoft.Extensions.Options;

namespace Metronome.Core.Jobs;

/// <summary>
/// The jobs API of one process (used by the REST endpoints and by embedded hosts): validates, writes through the
/// store in one transaction, then signals the engine so that a change takes effect at once.
/// </summary>
public sealed class JobService(IJobStore store, ICatalogStore catalog, IEngineSignal engine, TimeProvider time, IOptions<MetronomeOptions> options)
{
    private readonly MetronomeOptions _options = options.Value;

    public async Task<Job> CreateAsync(string product, ProductJob request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await RequireProductAsync(product, ct);
        var now = time.GetUtcNow();
        var spec = JobValidator.ValidateCreate(request, _options.Limits, now);
        await RequireEventAsync(product, spec.EventType, spec.EventTag, ct);
        var job = await store.CreateJobAsync(JobTransitions.Create(product, spec, now), ct);
        engine.Reschedule(new ScheduleEntry(job.Id, job.ScheduledDueAt));
        return job;
    }

    public async Task<Job> GetAsync(string product, string tag, CancellationToken ct = default) =>
        await store.GetJobAsync(product, tag, ct) ?? throw JobNotFound(product, tag);

    public async Task<PageResult<Job>> ListAsync(string product, string? status, int? limit, string? cursor, CancellationToken ct = default)
    {
        await RequireProductAsync(product, ct);
        var e = new ValidationErrors();
        var parsed = status is null ? null : JobMapping.ParseStatus(status);
        if (status is not null && parsed is null) e.Add("status", "status must be one of active, paused, completed.");
        var size = CheckLimit(limit, e);
        e.ThrowIfAny();
        return await store.ListJobsAsync(new JobQuery(product, parsed, size, cursor), ct);
    }

    public async Task<Job> UpdateAsync(string product, string tag, ProductJobUpdate request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var current = await GetAsync(product, tag, ct);
        var now = time.GetUtcNow();
        var changes = JobValidator.ValidateUpdate(request, current.Retries, _options.Limits, now);
        if (changes.EventType is not null || changes.EventTag is not null)
            await RequireEventAsync(product, changes.EventType ?? current.EventType, changes.EventTag ?? current.EventTag, ct);
        var job = await store.ModifyJobAsync(product, tag, j => JobTransitions.Update(j, changes, now), ct);
        engine.Reschedule(new ScheduleEntry(job.Id, job.ScheduledDueAt));
        return job;
    }

    public async Task DeleteAsync(string product, string tag, CancellationToken ct = default)
    {
        var id = await store.DeleteJobAsync(product, tag, ct) ?? throw JobNotFound(product, tag);
        engine.Cancel(id);
    }

    public async Task<Job> PauseAsync(string product, string tag, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var job = await store.ModifyJobAsync(product, tag, j => JobTransitions.Pause(j, now), ct);
        engine.Cancel(job.Id);
        return job;
    }

    public async Task<Job> ResumeAsync(string product, string tag, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var job = await store.ModifyJobAsync(product, tag, j => JobTransitions.Resume(j, now), ct);
        engine.Reschedule(new ScheduleEntry(job.Id, job.ScheduledDueAt));
        return job;
    }

    /// <summary>One extra execution at once, outside the grid, counted in executions_done.</summary>
    public async Task<Run> TriggerAsync(string product, string tag, CancellationToken ct = default)
    {
        var claimed = await store.TriggerJobAsync(new TriggerParams(product, tag, _options.NodeName, time.GetUtcNow(), RunKeys.NewId(time)), ct);
        engine.Dispatch(claimed);
        return claimed.Run;
    }

    public async Task<PageResult<Run>> ListRunsAsync(string product, string tag, string? status, int? limit, string? cursor, CancellationToken ct = default)
    {
        await GetAsync(product, tag, ct);
        var e = new ValidationErrors();
        var parsed = status is null ? null : RunStatusNames.FromWire(status);
        if (status is not null && parsed is null) e.Add("status", "status must be one of running, succeeded, failed, timed_out, skipped, abandoned.");
        var size = CheckLimit(limit, e);
        e.ThrowIfAny();
        return await store.ListRunsAsync(new RunQuery(product, tag, parsed, size, cursor), ct);
    }

    public async Task<Run> GetRunAsync(string product, string runId, CancellationToken ct = default) =>
        await store.GetRunAsync(product, runId, ct) ?? throw new NotFoundException($"run '{runId}' not found in product '{product}'");

    private static int CheckLimit(int? limit, ValidationErrors e)
    {
        if (limit is null) return 100;
        if (limit is < 1 or > 1000) e.Add("limit", "limit must be between 1 and 1000.");
        return limit.Value;
    }

    private async Task RequireProductAsync(string product, CancellationToken ct)
    {
        if (await catalog.GetProductAsync(product, ct) is null) throw new NotFoundException($"product '{product}' not found");
    }

    private async Task RequireEventAsync(string product, string type, string tag, CancellationToken ct)
    {
        if (await catalog.GetEventAsync(product, type, tag, ct) is null)
            throw ValidationFailedException.For("event_tag", $"no {type} event '{tag}' exists in product '{product}'.");
    }

    private static NotFoundException JobNotFound(string product, string tag) => new($"job '{tag}' not found in product '{product}'");
}
