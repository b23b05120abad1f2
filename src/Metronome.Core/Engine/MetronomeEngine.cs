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
/// There is no polling of the database for due work.
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
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop, _writerLoop, _pruneLoop;
    private int _state; // 0 new, 1 started, 2 stopped

    public MetronomeEngine(IJobStore store, ICatalogStore catalog, IEnumerable<IEventExecutor> executors, TimeProvider time,
        IOptions<MetronomeOptions> options, ILogger<MetronomeEngine> logger, EngineProbe probe, ISecretProtector? protector = null)
    {
        _store = store;
        _time = time;
        _options = options.Value;
        _options.Validate();
        _logger = logger;
        Probe = probe;
        _resolver = new EventResolver(catalog, protector);
        _writer = new CompletionWriter(store, time, _options.CompletionBatchSize, logger, probe, OnReleased);
        _dispatcher = new RunDispatcher(executors, _resolver, _writer, time, _options.MaxConcurrency, logger, probe);
    }

    /// <summary>Progress counters tests and metrics can await.</summary>
    public EngineProbe Probe { get; }

    /// <summary>Number of jobs in the in-memory due queue.</summary>
    public int ScheduledJobs { get { lock (_queueLock) return _queue.Count; } }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) return;
        await _store.MigrateAsync(cancellationToken);
        // Single-node start: every run left running belongs to a previous life of this store's node(s).
        var recovered = await _store.RecoverRunsAsync(new RecoverParams(_options.NodeName, _time.GetUtcNow(), null), cancellationToken);
        if (recovered.Resume.Count + recovered.Abandoned > 0)
            _logger.LogWarning("Recovered {Resumed} interrupted runs and abandoned {Abandoned}", recovered.Resume.Count, recovered.Abandoned);
        var schedule = await _store.LoadScheduleAsync(cancellationToken);
        lock (_queueLock)
            foreach (var e in schedule) _queue.Set(e.JobId, e.DueAt?.UtcTicks);
        _logger.LogInformation("Engine {Node} started with {Jobs} scheduled jobs", _options.NodeName, schedule.Count);
        _writerLoop = Task.Run(_writer.RunAsync, CancellationToken.None);
        _loop = Task.Run(RunLoopAsync, CancellationToken.None);
        _pruneLoop = Task.Run(PruneLoopAsync, CancellationToken.None);
        _dispatcher.Dispatch(recovered.Resume);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1) return;
        _stop.Cancel();
        _wake.Set();
        await Await(_loop);
        await Await(_pruneLoop);
        await _dispatcher.StopAsync(TimeSpan.FromSeconds(5));
        _writer.Complete();
        await Await(_writerLoop);
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
        _wake.Set();
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

    public void CatalogChanged(string product) => _resolver.Invalidate(product);

    // --- loops ---

    private async Task RunLoopAsync()
    {
        var due = new List<(long JobId, long DueTicks)>(_options.ClaimBatchSize);
        var versions = new Dictionary<long, long>();
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!_stop.IsCancellationRequested)
        {
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
                await SleepUntilAsync(earliest);
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
        _wake.Set();
    }

    private async Task SleepUntilAsync(long? earliestTicks)
    {
        var wake = _wake.WaitAsync();
        if (earliestTicks is null)
        {
            await wake.WaitAsync(_stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            _wake.Reset();
            return;
        }
        // Wake half a look-ahead before the earliest slot and claim a whole look-ahead: each claim then covers a window
        // of slots (a batch), and the claim commits before the first of them is due.
        var delay = new DateTimeOffset(earliestTicks.Value, TimeSpan.Zero) - _options.ClaimLookahead / 2 - _time.GetUtcNow();
        if (delay <= TimeSpan.Zero || wake.IsCompleted)
        {
            _wake.Reset();
            return;
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var sleep = Task.Delay(delay, _time, cts.Token);
        await Task.WhenAny(wake, sleep);
        cts.Cancel();
        _wake.Reset();
    }

    private async Task PruneLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.PruneInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    var deleted = await _store.PruneRunsAsync(new PruneParams(_options.RetentionRunsPerJob, _time.GetUtcNow() - _options.RetentionAge), _stop.Token);
                    if (deleted > 0) _logger.LogInformation("Pruned {Count} runs past retention", deleted);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger.LogError(ex, "Pruning runs failed; will retry at the next interval");
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
