using ExecutionContext = Metronome.Core.Execution.ExecutionContext;
using System.Collections.Concurrent;
using Metronome.Core.Execution;
using Metronome.Core.Hosting;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Metronome.Core.Engine;

/// <summary>
/// Starts claimed attempts at their due instant with bounded concurrency, enforces the attempt timeout, turns
/// every exception into an outcome (the one place they are caught), and schedules retries of the same slot.
/// Executors are asynchronous, so a slow event holds a concurrency slot, never a thread or another job's timer.
/// Slots are shared fairly between products (<see cref="FairSlots"/>): one product holds at most its cap, and attempts
/// beyond it wait in the product's line, served round-robin across products as slots free.
/// </summary>
/// <remarks>
/// The hot path allocates only what the shapes require (the context handed to the executor and the outcome record):
/// one timer for every waiting attempt (<see cref="ClaimedRunTimer"/>), due attempts started in chunks on the thread pool
/// (never on the caller's thread: that is the timer, the engine loop or an API request that triggered a job, and an
/// executor doing synchronous work there would stall it; <see cref="ValueTask"/> all the way), shared timeout deadlines
/// (<see cref="AttemptTimeouts"/>), parsed inputs cached per job input (<see cref="InputCache"/>), and a counter
/// instead of a task registry for the drain at stop.
/// <para>
/// At stop (<see cref="StopAsync"/>) nothing more starts: attempts waiting for their instant or a slot, and retries scheduled
/// during the stop, are handed back untouched; attempts running are let finish until the cancel instant the engine gives
/// (a little before the host's deadline), then cancelled and handed back too, to be run again as the same attempt.
/// </para>
/// </remarks>
internal sealed partial class RunDispatcher : IAsyncDisposable
{
    /// <summary>Attempts due at once are started in chunks of this size, one work item per chunk on the thread pool, so
    /// synchronous executors use every core while a chunk costs one work item rather than one per attempt.</summary>
    private const int ChunkSize = 64;

    private readonly IReadOnlyDictionary<string, IEventExecutor> _executors;
    private readonly EventResolver _resolver;
    private readonly CompletionWriter _writer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EngineProbe _probe;
    private readonly EngineMetrics _metrics;
    private readonly FairSlots _slots;
    private readonly Cluster.NodePresence _presence;
    // Attempts whose instant came while this node's presence had lapsed: started when it is back, dropped if the node was
    // declared dead meanwhile (the leader took their runs over). Under _parkedLock.
    private readonly List<ClaimedRun> _parked = [];
    private readonly Lock _parkedLock = new();
    // Jobs paused or deleted while this node holds runs of them: those runs must not start (nor retry). An entry lives only
    // while the job has runs here (_heldByJob counts them, under _jobsLock): when its last run leaves, nothing of the job
    // can start any more, so the entry goes. A run of it still being claimed at the cancel is dispatched with the job
    // marked cancelled again (see DueScheduler), so no entry is needed before its runs arrive.
    private readonly ConcurrentDictionary<long, byte> _cancelledJobs = new();
    private readonly Dictionary<long, int> _heldByJob = new();
    private readonly Lock _jobsLock = new();
    // Retries waiting for their instant (by run and attempt): held, but not work in flight, so they do not use up the
    // capacity the due loop claims for.
    private readonly ConcurrentDictionary<(string RunId, int Attempt), byte> _retries = new();
    private int _retriesWaiting;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ClaimedRunTimer _timer;
    private readonly AttemptTimeouts _timeouts;
    private readonly InputCache _inputs = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _outstanding; // attempts started or waiting for a slot (what a stop drains)
    private int _held;        // attempts from Dispatch until they leave: also those waiting for their instant or a retry
    private int _draining;    // 1 from the stop on: nothing more starts, what has not started is handed back
    private readonly StopHandBacks _handBacks = new();

    public RunDispatcher(IEnumerable<IEventExecutor> executors, EventResolver resolver, CompletionWriter writer, ProductConcurrencyCaps caps,
        TimeProvider time, IOptions<MetronomeOptions> options, ILogger<RunDispatcher> logger, EngineProbe probe, Cluster.NodePresence presence,
        EngineMetrics metrics)
    {
        _metrics = metrics;
        _presence = presence;
        presence.Regained += Unpark;
        _executors = executors.GroupBy(e => e.EventType).ToDictionary(g => g.Key, g => g.Last());
        _resolver = resolver;
        _writer = writer;
        _time = time;
        _logger = logger;
        _probe = probe;
        _slots = new FairSlots(options.Value.MaxConcurrency, caps.CapOf);
        caps.Changed += StartWaiting;
        _timer = new ClaimedRunTimer(time, StartAll);
        _timeouts = new AttemptTimeouts(time, _stopping.Token);
    }

    /// <summary>Attempts handed to <see cref="Dispatch"/> that have not left yet (waiting for their instant, for a slot, or running).</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>
    /// Attempts that hold a node slot or are about to take one: held, except retries waiting for their instant and attempts
    /// waiting in their product's line (a product at its cap must not stop the node from claiming other products' jobs).
    /// </summary>
    public int InFlight => Held - Volatile.Read(ref _retriesWaiting) - _slots.Waiting;

    /// <summary>Attempts executing now (holding a node slot).</summary>
    public int Running => _slots.Active;

    /// <summary>An attempt left: a concurrency slot may be free for the due loop to claim into.</summary>
    public event Action? CapacityFreed;

    /// <summary>Jobs marked cancelled (for tests: the set shrinks as their runs leave).</summary>
    internal int CancelledJobs => _cancelledJobs.Count;

    /// <summary>Grid slots of this job held here must not start any more (paused or deleted).</summary>
    public void CancelJob(long jobId)
    {
        lock (_jobsLock)
            if (_heldByJob.ContainsKey(jobId)) _cancelledJobs[jobId] = 0;
    }

    public void AllowJob(long jobId) => _cancelledJobs.TryRemove(jobId, out _);

    /// <summary>Schedules claimed attempts, each at its <see cref="ClaimedRun.RunAt"/> (at once when that has passed).</summary>
    /// <param name="cancelled">Jobs cancelled while these runs were being claimed: their grid slots must not start.</param>
    public void Dispatch(IReadOnlyList<ClaimedRun> runs, IReadOnlyCollection<long>? cancelled = null)
    {
        if (runs.Count == 0) return;
        if (Volatile.Read(ref _draining) != 0)
        {
            foreach (var run in runs)
                if (cancelled?.Contains(run.Run.JobId) == true && run.Run.Slot > 0) Abandon(run, _time.GetUtcNow());
                else GiveBack(run);
            return;
        }
        lock (_jobsLock)
        {
            foreach (var run in runs) _heldByJob[run.Run.JobId] = _heldByJob.GetValueOrDefault(run.Run.JobId) + 1;
            if (cancelled is not null)
                foreach (var jobId in cancelled) _cancelledJobs[jobId] = 0;
        }
        Interlocked.Add(ref _held, runs.Count);
        if (_timer.Add(runs)) return;
        foreach (var run in runs) NotStarted(run, outstanding: false); // the stop drained the timer meanwhile
    }

    public void Dispatch(IReadOnlyList<ClaimedRun> runs) => Dispatch(runs, null);

    /// <summary>Starts due attempts, in chunks on the thread pool (this is the timer's or the caller's thread).</summary>
    private void StartAll(List<ClaimedRun> runs)
    {
        for (int from = 0; from < runs.Count; from += ChunkSize)
            ThreadPool.UnsafeQueueUserWorkItem(new Chunk(this, runs, from, Math.Min(ChunkSize, runs.Count - from)), preferLocal: false);
    }

    private void StartRange(List<ClaimedRun> runs, int from, int count)
    {
        var lined = false;
        for (int i = from; i < from + count; i++)
        {
            if (Volatile.Read(ref _draining) != 0)
            {
                NotStarted(runs[i], outstanding: false);
                continue;
            }
            if (!_presence.IsPresent)
            {
                // Checked at the attempt's instant: a node paused past its presence deadline fires nothing it held before.
                lock (_parkedLock) _parked.Add(runs[i]);
                if (_presence.IsPresent) Unpark(); // presence came back between the check and the park
                if (Volatile.Read(ref _draining) != 0) GiveBackParked(); // the stop began between the checks
                continue;
            }
            if (Volatile.Read(ref _retriesWaiting) > 0 && _retries.TryRemove((runs[i].Run.Id, runs[i].Run.Attempt), out _))
                Interlocked.Decrement(ref _retriesWaiting);
            Interlocked.Increment(ref _outstanding);
            if (_slots.TryTakeOrWait(runs[i])) _ = RunAttemptAsync(runs[i]);
            else lined = true;
        }
        if (lined)
        {
            // An attempt in its product's line takes no node slot: the due loop may have room to claim again. And a cap
            // raised while these attempts read the old one found no line to serve: serve the lines now with the current caps.
            CapacityFreed?.Invoke();
            StartWaiting();
        }
        // A stop that began while this chunk ran may have emptied the lines before the last attempts joined them.
        if (Volatile.Read(ref _draining) != 0) StartWaiting();
    }

    private sealed class Chunk(RunDispatcher owner, List<ClaimedRun> runs, int from, int count) : IThreadPoolWorkItem
    {
        public void Execute() => owner.StartRange(runs, from, count);
    }

    /// <summary>
    /// Starts waiting attempts while slots are free, round-robin across products (after a slot is freed and after a
    /// product's cap changed). An attempt that waited past its own timeout is not started: it is recorded
    /// <c>timed_out</c> (and retried if attempts remain), as if it had run that long.
    /// </summary>
    public void StartWaiting()
    {
        if (Volatile.Read(ref _draining) != 0)
        {
            // Stopping: a waiting attempt never starts; it is handed back.
            foreach (var run in _slots.DropWaiting()) NotStarted(run, outstanding: true);
            return;
        }
        if (_slots.Waiting == 0) return;
        var started = new List<ClaimedRun>();
        var expired = new List<ClaimedRun>();
        var now = _time.GetUtcNow();
        _slots.TakeWaiting(started, expired, run => (now - run.RunAt).TotalMilliseconds > run.TimeoutMs);
        foreach (var run in expired) ExpireInLine(run, now);
        // On the pool, not here: this may be the thread of an attempt that just finished inside another's finally.
        if (started.Count > 0) ThreadPool.UnsafeQueueUserWorkItem(new Launch(this, started), preferLocal: false);
    }

    private sealed class Launch(RunDispatcher owner, List<ClaimedRun> runs) : IThreadPoolWorkItem
    {
        public void Execute()
        {
            foreach (var run in runs) _ = owner.RunAttemptAsync(run);
        }
    }

    private void ExpireInLine(ClaimedRun claimed, DateTimeOffset now)
    {
        var run = claimed.Run;
        try
        {
            if (IsCancelled(run)) Abandon(claimed, now);
            else
                Complete(claimed, RunStatus.TimedOut, now, now, ExecutionOutcome.Failure(ErrorKinds.Timeout,
                    $"the attempt waited {(long)(now - claimed.RunAt).TotalMilliseconds} ms for a slot of product '{run.Product}' (its max_concurrency), longer than its timeout of {claimed.TimeoutMs} ms, and was not started"));
        }
        finally
        {
            Left(run.JobId);
        }
    }

    /// <summary>An attempt left the dispatcher (finished, or handed back at stop).</summary>
    /// <param name="outstanding">It had been started or was waiting for a slot (counted in what a stop drains).</param>
    private void Left(long jobId, bool outstanding = true)
    {
        lock (_jobsLock)
        {
            var held = _heldByJob.GetValueOrDefault(jobId) - 1;
            if (held > 0) _heldByJob[jobId] = held;
            else if (_heldByJob.Remove(jobId)) _cancelledJobs.TryRemove(jobId, out _);
        }
        Interlocked.Decrement(ref _held);
        if (outstanding && Interlocked.Decrement(ref _outstanding) == 0 && Volatile.Read(ref _draining) != 0) _drained.TrySetResult();
        _probe.OnAttemptLeft();
        CapacityFreed?.Invoke();
    }

    /// <summary>The stop caught a held attempt before it started: it is given back (<see cref="GiveBack"/>), and leaves.</summary>
    private void NotStarted(ClaimedRun run, bool outstanding)
    {
        GiveBack(run);
        Left(run.Run.JobId, outstanding);
    }

    /// <summary>An attempt the stop caught before it started is handed back as claimed, unless its job was paused or deleted
    /// meanwhile: then it is abandoned here, as it would have been at its turn.</summary>
    private void GiveBack(ClaimedRun claimed)
    {
        if (IsCancelled(claimed.Run)) Abandon(claimed, _time.GetUtcNow());
        else HandBack(claimed, claimed.RunAt);
    }

    private void HandBack(ClaimedRun run, DateTimeOffset at) => _handBacks.Add(run, at);

    /// <summary>A grid slot of a job paused or deleted while this node held it: it must not start.</summary>
    private bool IsCancelled(Run run) => run.Slot > 0 && _cancelledJobs.ContainsKey(run.JobId);

    private void Abandon(ClaimedRun claimed, DateTimeOffset at)
    {
        const string Why = "the job was paused or deleted before this attempt started";
        var run = claimed.Run;
        _writer.Enqueue(new RunCompletion(run.Id, run.JobId, run.Attempt, RunStatus.Abandoned, at, at, Why, ErrorKinds.Abandoned, null, null, run.Node));
        Finished(claimed, RunStatus.Abandoned, ErrorKinds.Abandoned, Why, lateness: null, TimeSpan.Zero);
    }

    private async ValueTask RunAttemptAsync(ClaimedRun claimed)
    {
        try
        {
            var run = claimed.Run;
            if (Volatile.Read(ref _draining) != 0)
            {
                GiveBack(claimed); // stopping before it started (left in the finally)
                return;
            }
            if (IsCancelled(run))
            {
                Abandon(claimed, _time.GetUtcNow());
                return;
            }
            _probe.OnAttemptStarted();
            var started = _time.GetUtcNow();
            var activity = AttemptActivities.Start(claimed);
            (RunStatus? Status, ExecutionOutcome Outcome)? result = null;
            try
            {
                result = await ExecuteAsync(claimed);
            }
            finally
            {
                AttemptActivities.Stop(activity, result?.Status, result?.Outcome.ErrorKind);
            }
            var (status, outcome) = result.Value;
            if (status is null)
            {
                HandBack(claimed, _time.GetUtcNow()); // cancelled at the stop's deadline: the next owner runs this attempt again
                return;
            }
            if (Volatile.Read(ref _draining) != 0) _handBacks.Finished();
            Complete(claimed, status.Value, started, _time.GetUtcNow(), outcome);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Dispatching run {RunId} failed", claimed.Run.Id); // a bug: the run is recovered at the next start
        }
        finally
        {
            _slots.Release(claimed.Run.Product);
            Left(claimed.Run.JobId);
            if (_slots.Waiting > 0) StartWaiting();
        }
    }

    /// <summary>Records an attempt's outcome and schedules the next attempt of the slot when it failed and attempts remain.</summary>
    private void Complete(ClaimedRun claimed, RunStatus status, DateTimeOffset started, DateTimeOffset finished, ExecutionOutcome outcome)
    {
        var run = claimed.Run;
        if (status != RunStatus.Succeeded) _probe.OnFailure();
        DateTimeOffset? retryAt = null;
        if (status != RunStatus.Succeeded && RetryDelay.HasAttemptsLeft(claimed.Retries, run.Attempt) && !_cancelledJobs.ContainsKey(run.JobId))
            retryAt = finished + RetryDelay.For(claimed.Retries, run.Attempt, Random.Shared.NextDouble());
        _writer.Enqueue(new RunCompletion(run.Id, run.JobId, run.Attempt, status, started, finished,
            outcome.ErrorMessage, outcome.ErrorKind, AttemptOutcomes.Truncate(outcome.OutputJson), retryAt, run.Node));
        Finished(claimed, status, outcome.ErrorKind, outcome.ErrorMessage, started - claimed.RunAt, finished - started);
        if (retryAt is { } when)
        {
            _retries[(run.Id, run.Attempt + 1)] = 0;
            Interlocked.Increment(ref _retriesWaiting);
            Dispatch([claimed with { Run = run with { Attempt = run.Attempt + 1 }, RunAt = when }]);
        }
    }

    private int _disposed;

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
        Interlocked.Exchange(ref _draining, 1);
        _timer.Dispose();
        _stopping.Cancel(); // not disposed: attempts cancelled by it may still be unwinding and read its token
        return ValueTask.CompletedTask;
    }
}
