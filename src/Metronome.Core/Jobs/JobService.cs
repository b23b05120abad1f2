using Metronome.Contracts;
using Metronome.Core.Audit;
using Metronome.Core.Catalog;
using Metronome.Core.Engine;
using Metronome.Core.Hosting;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Microsoft.Extensions.Options;

namespace Metronome.Core.Jobs;

/// <summary>
/// The jobs API of one process (used by the REST endpoints and by embedded hosts): validates, writes through the
/// store in one transaction, then signals the engine so that a change takes effect at once. Concurrent creates share
/// one transaction (<see cref="JobCreateBatcher"/>).
/// </summary>
public sealed partial class JobService
{
    /// <summary>Most jobs accepted by one <see cref="CreateManyAsync"/> call.</summary>
    public const int MaxBulkItems = 1000;

    private readonly IJobStore _store;
    private readonly ICatalogStore _catalog;
    private readonly CatalogCache? _catalogCache;
    private readonly IEngineSignal _engine;
    private readonly TimeProvider _time;
    private readonly MetronomeOptions _options;
    private readonly JobCreateBatcher _creates;
    private readonly AuditTrail _audit;

    /// <summary>A service that reads the product and the event from the store on every create (nothing to invalidate).</summary>
    internal JobService(IJobStore store, ICatalogStore catalog, IEngineSignal engine, TimeProvider time, IOptions<MetronomeOptions> options,
        AuditTrail? audit = null)
        : this(store, catalog, cache: null, engine, time, options, audit)
    {
    }

    /// <summary>
    /// The service a host resolves (registered by AddMetronome): the product and event checks
    /// of creates use <paramref name="catalogService"/>'s cache, which that service drops whenever it changes the catalogue.
    /// </summary>
    internal JobService(IJobStore store, ICatalogStore catalog, CatalogService catalogService, IEngineSignal engine, TimeProvider time, IOptions<MetronomeOptions> options,
        AuditTrail? audit = null)
        : this(store, catalog, (catalogService ?? throw new ArgumentNullException(nameof(catalogService))).Cache, engine, time, options, audit)
    {
    }

    private JobService(IJobStore store, ICatalogStore catalog, CatalogCache? cache, IEngineSignal engine, TimeProvider time, IOptions<MetronomeOptions> options,
        AuditTrail? audit)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        _catalogCache = cache;
        _engine = engine ?? throw new ArgumentNullException(nameof(engine));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _options = options.Value;
        _creates = new JobCreateBatcher(store);
        _audit = audit ?? AuditTrail.None;
    }

    public async Task<Job> CreateAsync(string product, ProductJob request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await RequireProductAsync(product, ct);
        var now = _time.GetUtcNow();
        var spec = JobValidator.ValidateCreate(request, _options.Limits, now);
        await RequireEventAsync(product, spec.EventType, spec.EventTag, ct);
        var job = await _creates.CreateAsync(JobTransitions.Create(product, spec, now), ct);
        _engine.Reschedule(new ScheduleEntry(job.Id, job.ScheduledDueAt));
        await AuditJobAsync(AuditActions.JobCreate, before: null, job);
        return job;
    }

    public async Task<Job> GetAsync(string product, string tag, CancellationToken ct = default) =>
        await _store.GetJobAsync(product, tag, ct) ?? throw JobNotFound(product, tag);

    public Task<PageResult<Job>> ListAsync(string product, string? status, int? limit, string? cursor, CancellationToken ct = default) =>
        SearchAsync(product, search: null, status, limit, cursor, ct);

    public async Task<Job> UpdateAsync(string product, string tag, ProductJobUpdate request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var current = await GetAsync(product, tag, ct);
        var now = _time.GetUtcNow();
        var changes = JobValidator.ValidateUpdate(request, current.Retries, _options.Limits, now);
        if (changes.EventType is not null || changes.EventTag is not null)
            await RequireEventAsync(product, changes.EventType ?? current.EventType, changes.EventTag ?? current.EventTag, ct);
        Job before = current;
        var job = await _store.ModifyJobAsync(product, tag, j => JobTransitions.Update(before = j, changes, now), ct);
        _engine.Reschedule(new ScheduleEntry(job.Id, job.ScheduledDueAt));
        await AuditJobAsync(AuditActions.JobUpdate, before, job);
        return job;
    }

    public async Task DeleteAsync(string product, string tag, CancellationToken ct = default)
    {
        var before = await _store.GetJobAsync(product, tag, ct);
        var id = await _store.DeleteJobAsync(product, tag, ct) ?? throw JobNotFound(product, tag);
        _engine.Cancel(id);
        await _audit.RecordAsync(product, AuditActions.JobDelete, tag, before?.Id == id ? AuditDiff.Job(before, null) : Empty);
    }

    public async Task<Job> PauseAsync(string product, string tag, CancellationToken ct = default)
    {
        var now = _time.GetUtcNow();
        Job? before = null;
        var job = await _store.ModifyJobAsync(product, tag, j => JobTransitions.Pause(before = j, now), ct);
        _engine.Cancel(job.Id);
        await AuditJobAsync(AuditActions.JobPause, before, job);
        return job;
    }

    public async Task<Job> ResumeAsync(string product, string tag, CancellationToken ct = default)
    {
        var now = _time.GetUtcNow();
        Job? before = null;
        var job = await _store.ModifyJobAsync(product, tag, j => JobTransitions.Resume(before = j, now), ct);
        _engine.Reschedule(new ScheduleEntry(job.Id, job.ScheduledDueAt));
        await AuditJobAsync(AuditActions.JobResume, before, job);
        return job;
    }

    /// <summary>One extra execution at once, outside the grid, counted in executions_done.</summary>
    public async Task<Run> TriggerAsync(string product, string tag, CancellationToken ct = default)
    {
        var claimed = await _store.TriggerJobAsync(new TriggerParams(product, tag, _options.NodeName, _time.GetUtcNow(), RunKeys.NewId(_time)), ct);
        _engine.Dispatch(claimed);
        await AuditJobActionAsync(product, tag, AuditActions.JobTrigger, TriggeredRun(claimed.Run.Id));
        return claimed.Run;
    }

    public Task<PageResult<Run>> ListRunsAsync(string product, string tag, string? status, int? limit, string? cursor, CancellationToken ct = default) =>
        ListJobRunsAsync(product, tag, status, slot: null, limit, cursor, ct);

    public async Task<Run> GetRunAsync(string product, string runId, CancellationToken ct = default) =>
        await _store.GetRunAsync(product, runId, ct) ?? throw new NotFoundException($"run '{runId}' not found in product '{product}'");

    internal static int CheckLimit(int? limit, ValidationErrors e)
    {
        if (limit is null) return 100;
        if (limit is < 1 or > 1000) e.Add("limit", "limit must be between 1 and 1000.");
        return limit.Value;
    }

    internal async Task RequireProductAsync(string product, CancellationToken ct)
    {
        bool exists = _catalogCache is not null
            ? await _catalogCache.ProductExistsAsync(product, ct)
            : await _catalog.GetProductAsync(product, ct) is not null;
        if (!exists) throw new NotFoundException($"product '{product}' not found");
    }

    private async Task RequireEventAsync(string product, string type, string tag, CancellationToken ct)
    {
        if (!await EventExistsAsync(product, type, tag, ct))
            throw ValidationFailedException.For("event_tag", $"no {type} event '{tag}' exists in product '{product}'.");
    }

    private async ValueTask<bool> EventExistsAsync(string product, string type, string tag, CancellationToken ct) =>
        _catalogCache is not null
            ? await _catalogCache.EventExistsAsync(product, type, tag, ct)
            : await _catalog.GetEventAsync(product, type, tag, ct) is not null;

    private static NotFoundException JobNotFound(string product, string tag) => new($"job '{tag}' not found in product '{product}'");
}
