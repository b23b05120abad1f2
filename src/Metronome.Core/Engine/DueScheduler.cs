using Metronome.Core.Hosting;
using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Metronome.Core.Engine;

/// <summary>
/// The due loop (River's producer): keeps every active job's next due instant in memory (<see cref="DueQueue"/>), sleeps
/// until the earliest (or until a command signals a change), claims the jobs due within the look-ahead in one store
/// transaction and hands the claimed attempts to the <see cref="RunDispatcher"/>. There is no polling of the database for
/// due work. It claims only as many jobs as this node has room for (<see cref="MetronomeOptions.MaxConcurrency"/> minus
/// the attempts in flight and the outcomes not yet written, and at most <see cref="MetronomeOptions.MaxBacklog"/> held), so
/// memory stays bounded under overload and late slots follow their misfire policy; when there is no room it waits until
/// an attempt leaves or outcomes are written.
/// Commands and the cluster's change feed change the queue through <see cref="Reschedule"/>, <see cref="Cancel"/> and
/// <see cref="ReloadAsync"/>; <see cref="ScheduleChanges"/> keeps a claim's or a reload's older view from overwriting them.
/// </summary>
internal sealed class DueScheduler : EngineService
{
    private readonly IJobStore _store;
    private readonly RunDispatcher _dispatcher;
    private readonly CompletionWriter _writer;
    private readonly TimeProvider _time;
    private readonly MetronomeOptions _options;
    private readonly EngineProbe _probe;
    private readonly Telemetry.EngineMetrics _metrics;
    private readonly Cluster.NodePresence _presence;
    private readonly EngineHeartbeat _heartbeat;
    private readonly DueQueue _queue = new();
    private readonly ScheduleChanges _changes = new();
    private readonly Lock _lock = new();
    private readonly AsyncSignal _wake = new();
    private int _starved; // 1 while the loop waits for room to claim
    private readonly CancellationTokenSource _quit = new();

    public DueScheduler(IJobStore store, RunDispatcher dispatcher, CompletionWriter writer, TimeProvider time, IOptions<MetronomeOptions> options,
        ILogger<DueScheduler> logger, EngineProbe probe, Cluster.NodePresence presence, EngineHeartbeat heartbeat, Telemetry.EngineMetrics metrics) : base(logger, "metronome-due-loop")
    {
        _metrics = metrics;
        (_store, _dispatcher, _writer, _time, _options, _probe, _presence) = (store, dispatcher, writer, time, options.Value, probe, presence);
        _heartbeat = heartbeat;
        writer.Written += OnWritten;
        dispatcher.CapacityFreed += OnCapacityFreed;
        probe.Attach(() => dispatcher.Held == 0 && writer.Pending == 0);
    }

    /// <summary>Number of jobs in the due queue.</summary>
    public int ScheduledJobs { get { lock (_lock) return _queue.Count; } }

    /// <summary>Changes kept to guard claims and reloads in progress (for tests: none while nothing is being read).</summary>
    internal int TrackedChanges { get { lock (_lock) return _changes.Tracked; } }

    /// <summary>The job's due time changed (null: nothing scheduled).</summary>
    public void Reschedule(ScheduleEntry entry)
    {
        lock (_lock)
        {
            if (entry.DueAt is not null) _dispatcher.AllowJob(entry.JobId);
            _changes.Record(entry.JobId, cancelled: entry.DueAt is null ? null : false);
            _queue.Set(entry.JobId, entry.DueAt?.UtcTicks);
        }
        Wake();
    }

    /// <summary>The job is gone or paused: none of its slots may start from now on.</summary>
    public void Cancel(long jobId)
    {
        // Under the queue lock, as is the dispatch of a claim's runs: a cancel lands either before (the runs are marked) or after.
        lock (_lock)
        {
            _dispatcher.CancelJob(jobId);
            _changes.Record(jobId, cancelled: true);
            _queue.Set(jobId, null);
        }
    }

    /// <summary>A change made on another node (or echoed from this one: applying it twice is harmless).</summary>
    public void Apply(ScheduleChange change)
    {
        if (change.Cancelled) Cancel(change.JobId);
        else Reschedule(new ScheduleEntry(change.JobId, change.DueAt));
    }

    /// <summary>
    /// Replaces the due queue by the store's schedule (at start, after a reconnection, or polling while notifications are
    /// down). A job changed locally while the schedule was read keeps its newer local state. Returns the jobs read.
    /// </summary>
    public async Task<int> ReloadAsync(CancellationToken ct)
    {
        long snapshot;
        lock (_lock) snapshot = _changes.Open();
        try
        {
            var schedule = await _store.LoadScheduleAsync(ct);
            lock (_lock)
            {
                var scheduled = new HashSet<long>(schedule.Count);
                foreach (var e in schedule)
                {
                    scheduled.Add(e.JobId);
                    if (!_changes.ChangedSince(e.JobId, snapshot)) _queue.Set(e.JobId, e.DueAt?.UtcTicks);
                }
                foreach (var id in _queue.JobIds.Where(id => !scheduled.Contains(id) && !_changes.ChangedSince(id, snapshot)).ToList())
                    _queue.Set(id, null);
            }
            Wake();
            return schedule.Count;
        }
        finally
        {
            lock (_lock) _changes.Close(snapshot);
        }
    }

    /// <summary>Claims no more: the loop ends at its next wait, and a claim in progress is let commit and its runs dispatched
    /// (bounded by the host's token), so that they are handed back at the stop rather than left running unknown to the engine.</summary>
    protected override void RequestStop() => _quit.Cancel();

    protected override async Task RunAsync(CancellationToken shutdown)
    {
        try
        {
            await LoopAsync(shutdown);
        }
        finally
        {
            _heartbeat.Stop();
        }
    }

    /// <summary>The loop proper; it beats on every turn, and none of its waits is longer than <see cref="EngineHeartbeat.Period"/>.</summary>
    private async Task LoopAsync(CancellationToken shutdown)
    {
        using var quitting = CancellationTokenSource.CreateLinkedTokenSource(shutdown, _quit.Token);
        var stop = quitting.Token; // every wait ends at the stop; a claim only when the host's token fires
        var due = new List<(long JobId, long DueTicks)>();
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!stop.IsCancellationRequested)
        {
            _heartbeat.Beat();
            if (Room() <= 0)
            {
                if (!await WaitForRoomAsync(stop)) return;
                continue;
            }
            if (!_presence.IsPresent)
            {
                // A node without its presence claims nothing (Cluster/README.md, "Presence"); the queue keeps its due times.
                if (!await _presence.WaitPresentAsync(stop, atMost: EngineHeartbeat.Period)) return;
                continue;
            }
            var seenWakes = _probe.Wakes; // read before the queue: a later command makes this loop's wait non-idle
            var now = _time.GetUtcNow();
            var horizon = now + _options.ClaimLookahead;
            long? earliest;
            long snapshot = 0;
            due.Clear();
            lock (_lock)
            {
                _queue.PopDue(horizon.UtcTicks, Math.Min(Room(), _options.ClaimBatchSize), due);
                if (due.Count > 0) snapshot = _changes.Open();
                earliest = _queue.PeekEarliest();
            }
            if (due.Count == 0)
            {
                if (!await SleepUntilAsync(earliest, seenWakes, stop)) return;
                continue;
            }
            try
            {
                var claimStarted = _time.GetTimestamp();
                var result = await _store.ClaimDueSlotsAsync(
                    new ClaimParams(_options.NodeName, now, horizon, due.ConvertAll(d => d.JobId), _options.MisfireThreshold), shutdown);
                if (_metrics.MeasuresClaims) _metrics.ClaimTook(_time.GetElapsedTime(claimStarted));
                _probe.OnClaim(result.Runs.Count);
                lock (_lock)
                {
                    Requeue(result.Schedule, snapshot);
                    _dispatcher.Dispatch(result.Runs, CancelledSince(result.Runs, snapshot));
                }
                backoff = TimeSpan.FromMilliseconds(100);
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Logger.LogError(ex, "Claiming {Count} due jobs failed; retrying in {Delay}", due.Count, backoff);
                lock (_lock) Requeue(due.ConvertAll(d => new ScheduleEntry(d.JobId, new DateTimeOffset(d.DueTicks, TimeSpan.Zero))), snapshot);
                if (!await WaitBeatingAsync(backoff, stop)) return;
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
            finally
            {
                lock (_lock) _changes.Close(snapshot);
            }
        }
    }

    /// <summary>
    /// Jobs this node has room to claim now (River's producer: max workers minus jobs active; an outcome not yet written
    /// still counts, so a slow store slows claiming). <see cref="MetronomeOptions.MaxBacklog"/> is still needed: attempts
    /// waiting in the line of a product at its cap take no node slot, so they do not count as in flight, and without that
    /// bound a product with many jobs could make its line (memory) grow without limit.
    /// </summary>
    private int Room()
    {
        var unwritten = _writer.Pending;
        return Math.Min(_options.MaxConcurrency - _dispatcher.InFlight - unwritten, _options.MaxBacklog - _dispatcher.Held - unwritten);
    }

    /// <summary>Puts claimed jobs back on the queue unless a command changed them meanwhile (the command's view is newer). Under the lock.</summary>
    private void Requeue(IReadOnlyList<ScheduleEntry> entries, long snapshot)
    {
        foreach (var e in entries)
            if (!_changes.ChangedSince(e.JobId, snapshot)) _queue.Set(e.JobId, e.DueAt?.UtcTicks);
    }

    /// <summary>Jobs of <paramref name="runs"/> cancelled while they were being claimed. Under the lock.</summary>
    private List<long>? CancelledSince(IReadOnlyList<ClaimedRun> runs, long snapshot)
    {
        if (_changes.Tracked == 0) return null;
        List<long>? cancelled = null;
        foreach (var run in runs)
            if (_changes.CancelledSince(run.Run.JobId, snapshot)) (cancelled ??= []).Add(run.Run.JobId);
        return cancelled;
    }

    /// <summary>Waits <paramref name="delay"/> in turns of at most a heartbeat period, beating between them; false when stopping.</summary>
    private async Task<bool> WaitBeatingAsync(TimeSpan delay, CancellationToken stop)
    {
        var until = _time.GetUtcNow() + delay;
        for (var left = delay; left > TimeSpan.Zero; left = until - _time.GetUtcNow())
        {
            if (!await WaitAsync(left < EngineHeartbeat.Period ? left : EngineHeartbeat.Period, _time, stop)) return false;
            _heartbeat.Beat();
        }
        return true;
    }

    /// <summary>Waits until an attempt leaves or outcomes are written, or a heartbeat period passed (the loop looks again); false when stopping.</summary>
    private async Task<bool> WaitForRoomAsync(CancellationToken stop)
    {
        Interlocked.Exchange(ref _starved, 1); // a full fence: a slot freed after the check below sees it and wakes the loop
        try
        {
            if (Room() <= 0) await _wake.WaitAsync().WaitAsync(EngineHeartbeat.Period, _time, stop);
            _wake.Reset();
            return true;
        }
        catch (TimeoutException)
        {
            return true; // no room yet: the loop beats and waits again
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            Volatile.Write(ref _starved, 0);
        }
    }

    private void OnCapacityFreed()
    {
        if (Volatile.Read(ref _starved) != 0) _wake.Set();
    }

    /// <summary>Outcomes were written: room to claim, and jobs an overlap had held back may be due again.</summary>
    private void OnWritten(IReadOnlyList<ScheduleEntry> released)
    {
        if (released.Count > 0)
        {
            lock (_lock)
                foreach (var e in released)
                    if (e.DueAt is { } dueAt && !_queue.TryGetDue(e.JobId, out _))
                        _queue.Set(e.JobId, dueAt.UtcTicks);
            Wake();
        }
        OnCapacityFreed();
    }

    /// <summary>Wakes the loop to look at the queue again (it is no longer idle from this moment).</summary>
    private void Wake()
    {
        _probe.OnWake();
        _wake.Set();
    }

    /// <summary>
    /// Sleeps until the earliest job is (nearly) due, a command wakes the loop, or a heartbeat period passed (the loop then
    /// beats, finds nothing due and sleeps again: a look at the in-memory queue, no store access); false when stopping.
    /// </summary>
    private async Task<bool> SleepUntilAsync(long? earliestTicks, long seenWakes, CancellationToken stop)
    {
        var wake = _wake.WaitAsync();
        // Wake half a look-ahead before the earliest slot and claim a whole look-ahead: each claim then covers a window
        // of slots (a batch), and the claim commits before the first of them is due.
        var delay = earliestTicks is { } ticks
            ? new DateTimeOffset(ticks, TimeSpan.Zero) - _options.ClaimLookahead / 2 - _time.GetUtcNow()
            : EngineHeartbeat.Period;
        if ((earliestTicks is not null && delay <= TimeSpan.Zero) || wake.IsCompleted)
        {
            _wake.Reset();
            return true;
        }
        if (delay > EngineHeartbeat.Period) delay = EngineHeartbeat.Period;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var sleep = Task.Delay(delay, _time, cts.Token);
        _probe.OnLoopWaiting(seenWakes);
        await Task.WhenAny(wake, sleep);
        _probe.OnLoopWaiting(null);
        cts.Cancel();
        _wake.Reset();
        return !stop.IsCancellationRequested;
    }
}
