using ExecutionContext = Metronome.Core.Execution.ExecutionContext;
using System.Collections.Concurrent;
using System.Text.Json;
using Metronome.Core.Execution;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine;

/// <summary>
/// Starts claimed attempts at their due instant with bounded concurrency, enforces the attempt timeout, turns
/// every exception into an outcome (the one place they are caught), and schedules retries of the same slot.
/// Executors are asynchronous, so a slow event holds a concurrency slot, never a thread or another job's timer.
/// </summary>
internal sealed class RunDispatcher : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, IEventExecutor> _executors;
    private readonly EventResolver _resolver;
    private readonly CompletionWriter _writer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EngineProbe _probe;
    private readonly SemaphoreSlim _concurrency;
    private readonly ConcurrentDictionary<long, byte> _cancelledJobs = new();
    private readonly ConcurrentDictionary<ITimer, byte> _timers = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly CancellationTokenSource _stopping = new();

    public RunDispatcher(IEnumerable<IEventExecutor> executors, EventResolver resolver, CompletionWriter writer, TimeProvider time,
        int maxConcurrency, ILogger logger, EngineProbe probe)
    {
        _executors = executors.GroupBy(e => e.EventType).ToDictionary(g => g.Key, g => g.Last());
        _resolver = resolver;
        _writer = writer;
        _time = time;
        _logger = logger;
        _probe = probe;
        _concurrency = new SemaphoreSlim(maxConcurrency, maxConcurrency);
    }

    /// <summary>Grid slots of this job must not start any more (paused or deleted).</summary>
    public void CancelJob(long jobId) => _cancelledJobs[jobId] = 0;

    public void AllowJob(long jobId) => _cancelledJobs.TryRemove(jobId, out _);

    /// <summary>Schedules claimed attempts: runs due at the same instant share one timer.</summary>
    public void Dispatch(IReadOnlyList<ClaimedRun> runs)
    {
        if (runs.Count == 0 || _stopping.IsCancellationRequested) return;
        var now = _time.GetUtcNow();
        foreach (var group in runs.GroupBy(r => r.RunAt))
        {
            var delay = group.Key - now;
            var batch = group.ToArray();
            if (delay <= TimeSpan.Zero) StartAll(batch);
            else At(delay, () => StartAll(batch));
        }
    }

    private void At(TimeSpan delay, Action action)
    {
        ITimer? timer = null;
        timer = _time.CreateTimer(state =>
        {
            if (timer is not null && _timers.TryRemove(timer, out _)) timer.Dispose();
            action();
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timers[timer] = 0;
        timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    private void StartAll(ClaimedRun[] runs)
    {
        foreach (var run in runs)
        {
            if (_stopping.IsCancellationRequested) return;
            var task = RunAttemptAsync(run);
            _running[task] = 0;
            _ = task.ContinueWith(t => _running.TryRemove(t, out byte _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task RunAttemptAsync(ClaimedRun claimed)
    {
        try
        {
            await _concurrency.WaitAsync(_stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return; // shutting down: the run stays running and is recovered at the next start
        }
        try
        {
            await Task.Yield();
            var run = claimed.Run;
            if (run.Slot > 0 && _cancelledJobs.ContainsKey(run.JobId))
            {
                var at = _time.GetUtcNow();
                _writer.Enqueue(new RunCompletion(run.Id, run.JobId, run.Attempt, RunStatus.Abandoned, at, at,
                    "the job was paused or deleted before this attempt started", ErrorKinds.Abandoned, null, null));
                return;
            }
            _probe.OnAttemptStarted();
            var started = _time.GetUtcNow();
            var (status, outcome) = await ExecuteAsync(claimed);
            if (status is null) return; // stopped mid-attempt: left to recovery
            var finished = _time.GetUtcNow();
            if (status != RunStatus.Succeeded) _probe.OnFailure();
            DateTimeOffset? retryAt = null;
            if (status != RunStatus.Succeeded && RetryDelay.HasAttemptsLeft(claimed.Retries, run.Attempt) && !_cancelledJobs.ContainsKey(run.JobId))
                retryAt = finished + RetryDelay.For(claimed.Retries, run.Attempt, Random.Shared.NextDouble());
            _writer.Enqueue(new RunCompletion(run.Id, run.JobId, run.Attempt, status.Value, started, finished,
                outcome.ErrorMessage, outcome.ErrorKind, Truncate(outcome.OutputJson), retryAt));
            if (retryAt is { } when)
                Dispatch([claimed with { Run = run with { Attempt = run.Attempt + 1 }, RunAt = when }]);
        }
        finally
        {
            _concurrency.Release();
        }
    }

    /// <summary>Runs one attempt; returns a null status when the engine is stopping and the attempt was abandoned mid-way.</summary>
    private async Task<(RunStatus? Status, ExecutionOutcome Outcome)> ExecuteAsync(ClaimedRun claimed)
    {
        IReadOnlyDictionary<string, string>? secrets = null;
        var (status, outcome) = await ExecuteCoreAsync(claimed, s => secrets = s);
        // Secrets never reach run records: every outcome is redacted once, here.
        if (outcome.ErrorMessage is not null || (secrets is { Count: > 0 } && outcome.OutputJson is not null))
            outcome = outcome with
            {
                ErrorMessage = SecretRedactor.Redact(outcome.ErrorMessage, secrets),
                OutputJson = secrets is { Count: > 0 } ? SecretRedactor.Redact(outcome.OutputJson, secrets) : outcome.OutputJson,
            };
        return (status, outcome);
    }

    private async Task<(RunStatus? Status, ExecutionOutcome Outcome)> ExecuteCoreAsync(ClaimedRun claimed, Action<IReadOnlyDictionary<string, string>> secretsSeen)
    {
        var run = claimed.Run;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(claimed.TimeoutMs), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
        try
        {
            var ev = await _resolver.GetEventAsync(run.Product, claimed.EventType, claimed.EventTag, linked.Token);
            if (ev is null)
                return (RunStatus.Failed, ExecutionOutcome.Failure(ErrorKinds.EventMissing, $"event {claimed.EventType}/{claimed.EventTag} does not exist in product '{run.Product}'"));
            if (!_executors.TryGetValue(ev.Type, out var executor))
                return (RunStatus.Failed, ExecutionOutcome.Failure(ErrorKinds.NotRegistered, $"no executor for event type '{ev.Type}' on this node"));
            var secrets = await _resolver.GetSecretsAsync(run.Product, linked.Token);
            secretsSeen(secrets);
            using var input = JsonDocument.Parse(claimed.InputJson);
            var context = new ExecutionContext
            {
                Product = run.Product, JobTag = run.JobTag, JobName = claimed.JobName, RunId = run.Id, Slot = run.Slot,
                Attempt = run.Attempt, ScheduledAt = run.ScheduledAt, IdempotencyKey = run.IdempotencyKey, Event = ev,
                Input = input.RootElement, Secrets = secrets, Timeout = TimeSpan.FromMilliseconds(claimed.TimeoutMs),
            };
            var outcome = await executor.ExecuteAsync(context, linked.Token);
            return (outcome.Succeeded ? RunStatus.Succeeded : RunStatus.Failed, outcome);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return (RunStatus.TimedOut, ExecutionOutcome.Failure(ErrorKinds.Timeout, $"the attempt ran longer than {claimed.TimeoutMs} ms and was cancelled"));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return (null, ExecutionOutcome.Failure(ErrorKinds.Abandoned, "stopping"));
        }
        catch (Exception ex)
        {
            // The exception text may quote a connection string: log it redacted, never the raw exception.
            _logger.LogWarning("Run {RunId} of {Product}/{Job} slot {Slot} attempt {Attempt} threw {Type}: {Message}", run.Id, run.Product, run.JobTag,
                run.Slot, run.Attempt, ex.GetType().Name, SecretRedactor.Redact(ex.Message, null));
            return (RunStatus.Failed, ExecutionOutcome.Failure(ErrorKinds.Exception, $"{ex.GetType().Name}: {ex.Message}"));
        }
    }

    internal static string? Truncate(string? output)
    {
        if (output is null || output.Length <= RunLimits.MaxOutputBytes / 4 || System.Text.Encoding.UTF8.GetByteCount(output) <= RunLimits.MaxOutputBytes)
            return output;
        var cut = output[..(RunLimits.MaxOutputBytes / 4)];
        return JsonSerializer.Serialize(cut + "…[truncated]");
    }

    /// <summary>Stops starting attempts, gives running ones <paramref name="grace"/> to finish, then cancels them.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        foreach (var timer in _timers.Keys) timer.Dispose();
        _timers.Clear();
        try { await Task.WhenAll(_running.Keys.ToArray()).WaitAsync(grace); }
        catch (TimeoutException) { }
        _stopping.Cancel();
        try { await Task.WhenAll(_running.Keys.ToArray()).WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException) { }
    }

    private int _disposed;

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
        _stopping.Cancel();
        _stopping.Dispose();
        return ValueTask.CompletedTask;
    }
}
