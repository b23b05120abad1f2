using Metronome.Core.Engine.Cluster;
using Metronome.Core.Execution;
using Metronome.Core.Hosting;
using Metronome.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Metronome.Core.Engine;

/// <summary>
/// The scheduler of one node. It keeps every active job's next due instant in memory (<see cref="DueQueue"/>),
/// sleeps until the earliest (or until a command signals a change), claims every job due within the look-ahead in
/// one store transaction, and hands the claimed attempts to the <see cref="RunDispatcher"/>, which fires each at its
/// due instant. Outcomes go back to the store in batches through the <see cref="CompletionWriter"/>.
/// There is no polling of the database for due work. Under overload the node stops claiming while more than
/// <see cref="MetronomeOptions.MaxBacklog"/> attempts are unrecorded, so memory stays bounded and late slots follow
/// their misfire policy.
/// <para>
/// On a store that implements <see cref="IClusterStore"/> (PostgreSQL) the engine is one node of a cluster: every node holds
/// the whole schedule but claims mostly its own share of the jobs (the store partitions by the ring of live nodes and
/// lets any node take over a job overdue past a grace; the claim transaction decides), heartbeats, and one leader recovers runs of
/// dead nodes and prunes; changes made on other nodes arrive through <see cref="IScheduleChangeFeed"/>. See Cluster/README.md.
/// On any other store it is a single node and recovers every interrupted run at start.
/// </para>
/// </summary>
public sealed class MetronomeEngine : IHostedService, IEngineSignal, IAsyncDisposable
{
    private readonly IJobStore _store;
    private readonly TimeProvider _time;
    private readonly MetronomeOptions _options;
    private readonly ILogger<MetronomeEngine> _logger;
    private readonly DueQueue _queue = new();
    private readonly Lock _queueLock = new();
    private readonly Dictionary<long, long> _versions = new();
    private readonly AsyncSignal _wake = new();
    private readonly EventResolver _resolver;
    private readonly CompletionWriter _writer;
    private readonly RunDispatcher _dispatcher;
    private readonly ProductConcurrencyCaps _caps;
    private readonly CancellationTokenSource _stop = new();
    private readonly IClusterStore? _cluster;
    private readonly IScheduleChangeFeed? _changes;
    private readonly ClusterOptions _clusterOptions;
    private readonly List<EngineService> _services = [];
    private Task? _loop, _writerLoop;
    private LoopThread? _loopThread, _writerThread;
    private int _state; // 0 new, 1 started, 2 stopped

    public MetronomeEngine(IJobStore store, ICatalogStore catalog, IEnumerable<IEventExecutor> executors, TimeProvider time,
        IOptions<MetronomeOptions> options, ILogger<MetronomeEngine> logger, EngineProbe probe, ISecretProtector? protector = null,
        IClusterStore? cluster = null, IScheduleChangeFeed? changes = null, IOptions<ClusterOptions>? clusterOptions = null)
    {
        _store = store;
        _time = time;
        _options = options.Value;
        _logger = logger;
        Probe = probe;
        _resolver = new EventResolver(catalog, protector);
        _writer = new CompletionWriter(store, time, _options.CompletionBatchSize, logger, probe, OnReleased);
        _caps = new ProductConcurrencyCaps(catalog, time, _options.DefaultProductConcurrency, _options.MaxConcurrency, _options.ProductLimitsRefresh,
            () => _dispatcher?.StartWaiting(), logger);
        _dispatcher = new RunDispatcher(executors, _resolver, _writer, time, _options.MaxConcurrency, _caps.CapOf, logger, probe);
        probe.Attach(() => _dispatcher.Held == 0 && _writer.Pending == 0);
        _cluster = cluster;
        _changes = changes;
        _clusterOptions = clusterOptions?.Value ?? new ClusterOptions();
    }

    /// <summary>True when this engine is one node of a cluster (its store implements <see cref="IClusterStore"/>).</summary>
    public bool IsClustered => _cluster is not null;

    /// <summary>True while this node holds the cluster's leader lease (always false on a single node).</summary>
    public bool IsLeader => _elector?.IsLeader ?? false;

    private LeaderElector? _elector;

    /// <summary>Progress counters tests and metrics can await.</summary>
    public EngineProbe Probe { get; }

    /// <summary>Number of jobs in the in-memory due queue.</summary>
    public int ScheduledJobs { get { lock (_queueLock) return _queue.Count; } }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) return;
        await _store.MigrateAsync(cancellationToken);
        // Single-node start: every run left running belongs to a previous life of this store's node(s). In a cluster, only
        // this node's own (node names are unique): other nodes' runs are the leader's to recover once they stop heartbeating.
        if (_cluster is not null) await _cluster.HeartbeatAsync(_options.NodeName, cancellationToken);
        var recovered = await _store.RecoverRunsAsync(
            new RecoverParams(_options.NodeName, _time.GetUtcNow(), _cluster is null ? null : [_options.NodeName]), cancellationToken);
        if (recovered.Resume.Count + recovered.Abandoned > 0)
            _logger.LogWarning("Recovered {Resumed} interrupted runs and abandoned {Abandoned}", recovered.Resume.Count, recovered.Abandoned);
        await _caps.LoadAsync(cancellationToken);
        var schedule = await _store.LoadScheduleAsync(cancellationToken);
        lock (_queueLock)
            foreach (var e in schedule) _queue.Set(e.JobId, e.DueAt?.UtcTicks);
        _logger.LogInformation("Engine {Node} started with {Jobs} scheduled jobs", _options.NodeName, schedule.Count);
        // Each on a thread of its own: executors and API requests may keep every pool thread busy (a CPU-heavy tenant),
        // and neither the due loop nor the outcomes' writer may queue behind them.
        _writerThread = new LoopThread("metronome-writer");
        _loopThread = new LoopThread("metronome-due-loop");
        _writerLoop = _writerThread.Start(_writer.RunAsync);
        _loop = _loopThread.Start(RunLoopAsync);
        CreateServices();
        foreach (var service in _services) service.Start();
        _dispatcher.Dispatch(recovered.Resume);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1) return;
        _stop.Cancel();
        Wake();
        await Await(_loop);
        _loopThread?.Dispose();
        foreach (var service in _services) await service.StopAsync();
        await _dispatcher.StopAsync(TimeSpan.FromSeconds(5));
        _writer.Complete();
        await Await(_writerLoop);
        _writerThread?.Dispose();
    }

    private async Task Await(Task? task)
    {
        if (task is null) return;
        try { await task; }
        catch (Exception ex) when (ex is OperationCanceledException) { }
        catch (Exception ex) { _logger.LogError(ex, "Engine loop failed while stopping"); }
    }

    private int _disposed;

    /// <summary>Stops the engine; safe to call more than once (DI may dispose it once per registration).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await StopAsync(CancellationToken.None);
        await _dispatcher.DisposeAsync();
        _stop.Dispose();
    }

    // --- IEngineSignal ---

    public void Reschedule(ScheduleEntry entry)
    {
        if (entry.DueAt is not null) _dispatcher.AllowJob(entry.JobId);
        lock (_queueLock)
        {
            _versions[entry.JobId] = _versions.GetValueOrDefault(entry.JobId) + 1;
            _queue.Set(entry.JobId, entry.DueAt?.UtcTicks);
        }
        Wake();
    }

    public void Cancel(long jobId)
    {
        _dispatcher.CancelJob(jobId);
        lock (_queueLock)
        {
            _versions[jobId] = _versions.GetValueOrDefault(jobId) + 1;
            _queue.Set(jobId, null);
        }
    }

    public void Dispatch(ClaimedRun run) => _dispatcher.Dispatch([run]);

    public void CatalogChanged(string product)
    {
        _resolver.Invalidate(product);
        _caps.Invalidate();
    }

    // --- loops ---

    private async Task RunLoopAsync()
    {
        var due = new List<(long JobId, long DueTicks)>(_options.ClaimBatchSize);
        var versions = new Dictionary<long, long>();
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!_stop.IsCancellationRequested)
        {
            if (_dispatcher.Outstanding + _writer.Pending > _options.MaxBacklog)
            {
                // Overloaded: let running attempts finish and outcomes reach the store before claiming more.
                try { await Task.Delay(BacklogPause, _time, _stop.Token); } catch (OperationCanceledException) { return; }
                continue;
            }
            var seenWakes = Probe.Wakes; // read before the queue: a later command makes this loop's wait non-idle
            var now = _time.GetUtcNow();
            var horizon = now + _options.ClaimLookahead;
            long? earliest;
            due.Clear();
            versions.Clear();
            lock (_queueLock)
            {
                _queue.PopDue(horizon.UtcTicks, _options.ClaimBatchSize, due);
                foreach (var (id, _) in due) versions[id] = _versions.GetValueOrDefault(id);
                earliest = _queue.PeekEarliest();
            }
            if (due.Count == 0)
            {
                try
                {
                    await SleepUntilAsync(earliest, seenWakes);
                }
                catch (Exception ex) when (!_stop.IsCancellationRequested)
                {
                    // The loop must outlive any surprise here: log, pause, look again.
                    _logger.LogError(ex, "Waiting for the next due job failed; looking again in {Delay}", backoff);
                    try { await Task.Delay(backoff, _time, _stop.Token); } catch (OperationCanceledException) { return; }
                }
                continue;
            }
            try
            {
                var result = await _store.ClaimDueSlotsAsync(
                    new ClaimParams(_options.NodeName, now, horizon, due.ConvertAll(d => d.JobId), _options.MisfireThreshold), _stop.Token);
                Probe.OnClaim(result.Runs.Count);
                Apply(result.Schedule, versions);
                _dispatcher.Dispatch(result.Runs);
                backoff = TimeSpan.FromMilliseconds(100);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Claiming {Count} due jobs failed; retrying in {Delay}", due.Count, backoff);
                Apply(due.ConvertAll(d => new ScheduleEntry(d.JobId, new DateTimeOffset(d.DueTicks, TimeSpan.Zero))), versions);
                try { await Task.Delay(backoff, _time, _stop.Token); } catch (OperationCanceledException) { return; }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    /// <summary>Puts claimed jobs back on the queue unless a command rescheduled them meanwhile (the command's view is newer).</summary>
    private void Apply(IReadOnlyList<ScheduleEntry> entries, Dictionary<long, long> versions)
    {
        lock (_queueLock)
            foreach (var e in entries)
                if (_versions.GetValueOrDefault(e.JobId) == versions.GetValueOrDefault(e.JobId))
                    _queue.Set(e.JobId, e.DueAt?.UtcTicks);
    }

    private void OnReleased(IReadOnlyList<ScheduleEntry> entries)
    {
        lock (_queueLock)
            foreach (var e in entries)
                if (e.DueAt is { } dueAt && !_queue.TryGetDue(e.JobId, out _))
                    _queue.Set(e.JobId, dueAt.UtcTicks);
        Wake();
    }

    /// <summary>Wakes the due loop to look at the queue again (it is no longer idle from this moment).</summary>
    private void Wake()
    {
        Probe.OnWake();
        _wake.Set();
    }

    private static readonly TimeSpan MaxSleep = TimeSpan.FromHours(1);
    private static readonly TimeSpan BacklogPause = TimeSpan.FromMilliseconds(5);

    private async Task SleepUntilAsync(long? earliestTicks, long seenWakes)
    {
        var wake = _wake.WaitAsync();
        if (earliestTicks is null)
        {
            Probe.OnLoopWaiting(seenWakes);
            await wake.WaitAsync(_stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            Probe.OnLoopWaiting(null);
            _wake.Reset();
            return;
        }
        // Wake half a look-ahead before the earliest slot and claim a whole look-ahead: each claim then covers a window
        // of slots (a batch), and the claim commits before the first of them is due.
        var delay = new DateTimeOffset(earliestTicks.Value, TimeSpan.Zero) - _options.ClaimLookahead / 2 - _time.GetUtcNow();
        // Timers take at most ~49 days; a job due further ahead (intervals go up to 366 days) is simply looked at again.
        if (delay > MaxSleep) delay = MaxSleep;
        if (delay <= TimeSpan.Zero || wake.IsCompleted)
        {
            _wake.Reset();
            return;
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var sleep = Task.Delay(delay, _time, cts.Token);
        Probe.OnLoopWaiting(seenWakes);
        await Task.WhenAny(wake, sleep);
        Probe.OnLoopWaiting(null);
        cts.Cancel();
        _wake.Reset();
    }

    // --- background services ---

    private void CreateServices()
    {
        _services.Add(_caps);
        if (_cluster is null)
        {
            _services.Add(new RunPruner(_store, _options, _time, () => true, _logger));
            return;
        }
        var node = _options.NodeName;
        _elector = new LeaderElector(_cluster, node, _clusterOptions, _time, _logger);
        _services.Add(new NodeHeartbeat(_cluster, node, _clusterOptions, _time, _logger));
        _services.Add(_elector);
        _services.Add(new RunRescuer(_store, _cluster, _elector, node, _clusterOptions, _time, _dispatcher.Dispatch, _logger));
        _services.Add(new RunPruner(_store, _options, _time, () => _elector.IsLeader, _logger));
        if (_changes is not null)
            _services.Add(new ScheduleChangeListener(_changes, _clusterOptions, _time, ApplyChange, ReloadScheduleAsync, _logger));
    }

    /// <summary>A change made on another node (or echoed from this one: applying it twice is harmless).</summary>
    private void ApplyChange(ScheduleChange change)
    {
        if (change.Cancelled) Cancel(change.JobId);
        else Reschedule(new ScheduleEntry(change.JobId, change.DueAt));
    }

    /// <summary>
    /// Replaces the due queue by the database's schedule (after a reconnection, or polling while notifications are down).
    /// A job changed locally while the schedule was read keeps its newer local state.
    /// </summary>
    private async Task ReloadScheduleAsync(CancellationToken ct)
    {
        Dictionary<long, long> versions;
        lock (_queueLock) versions = new Dictionary<long, long>(_versions);
        var schedule = await _store.LoadScheduleAsync(ct);
        lock (_queueLock)
        {
            var scheduled = new HashSet<long>(schedule.Count);
            foreach (var e in schedule)
            {
                scheduled.Add(e.JobId);
                if (_versions.GetValueOrDefault(e.JobId) == versions.GetValueOrDefault(e.JobId))
                    _queue.Set(e.JobId, e.DueAt?.UtcTicks);
            }
            foreach (var id in _queue.JobIds.Where(id => !scheduled.Contains(id)).ToList())
                if (_versions.GetValueOrDefault(id) == versions.GetValueOrDefault(id))
                    _queue.Set(id, null);
        }
        Wake();
    }
}
