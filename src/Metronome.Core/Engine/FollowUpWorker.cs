using System.Text.Json;
using Metronome.Core.Audit;
using Metronome.Core.Execution;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Core.Engine;

/// <summary>
/// The engine's follow-ups of failure handling (issue 14), a leader chore (every node runs the loop, only the leader acts; a
/// single node always acts). Every <see cref="Cadence"/> it resumes the jobs whose <c>paused_until</c> has passed, writes
/// the engine's notices (automatic pause, timed resume) to the audit log, and runs the pending <c>on_failure</c> hooks.
/// Everything it does was recorded by a store transaction first (<see cref="FollowUps"/>), so a crash between a run's
/// completion and its hook loses nothing: the next leader finds the hook still pending and runs it, with the same
/// idempotency key (<c>&lt;run key&gt;/on_failure</c>) the interrupted execution had. A hook runs one attempt; its outcome is
/// recorded on the failed run (<see cref="Run.OnFailure"/>).
/// </summary>
internal sealed class FollowUpWorker(
    IJobStore store, EventResolver resolver, IEnumerable<IEventExecutor> executors, IEngineSignal signal, IAuditSink? audit,
    TimeProvider time, Func<bool> shouldAct, ILogger logger, TimeSpan? cadence = null) : EngineService(logger)
{
    /// <summary>How often the leader looks: a timed resume happens within about this long after its <c>until</c>.</summary>
    public static readonly TimeSpan DefaultCadence = TimeSpan.FromMilliseconds(250);

    /// <summary>Hooks and notices taken per pass.</summary>
    public const int BatchSize = 64;

    private readonly IReadOnlyDictionary<string, IEventExecutor> _executors = executors.GroupBy(e => e.EventType).ToDictionary(g => g.Key, g => g.Last());
    private Task _hooks = Task.CompletedTask;

    public TimeSpan Cadence { get; } = cadence ?? DefaultCadence;

    protected override async Task RunAsync(CancellationToken stop)
    {
        do
        {
            if (!shouldAct()) continue;
            try { await RunOnceAsync(stop); }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                Logger.LogWarning("Failure follow-ups failed; will retry: {Error}", ex.Message);
            }
        } while (await WaitAsync(Cadence, time, stop));
        try { await _hooks.WaitAsync(stop); }
        catch (OperationCanceledException) { }
    }

    /// <summary>
    /// One pass: timed resumes and notices now; pending hooks in the background (a slow hook must not hold back a resume), one
    /// batch at a time. Tests call this directly; <see cref="HooksIdle"/> completes when the batch started has finished.
    /// </summary>
    internal async Task RunOnceAsync(CancellationToken ct)
    {
        foreach (var entry in await store.ResumePausedJobsAsync(time.GetUtcNow(), ct))
            signal.Reschedule(entry);
        var work = await store.ListFollowUpsAsync(BatchSize, ct);
        if (work.Notices.Count > 0)
        {
            foreach (var notice in work.Notices)
            {
                // Logged always: a host without an audit log still sees why the engine paused or resumed a job.
                Logger.LogInformation("The engine did {Action} on job {Product}/{Job}: {Reason}", notice.Action, notice.Product, notice.JobTag, notice.Reason);
                if (audit is not null) await audit.RecordAsync(ToAudit(notice), ct);
            }
            await store.CompleteFollowUpsAsync(new FollowUpResults([], [.. work.Notices.Select(n => n.Id)]), ct);
        }
        if (work.Hooks.Count > 0 && _hooks.IsCompleted) _hooks = RunHooksAsync(work.Hooks, ct);
    }

    /// <summary>Completes when the hooks started by the last pass have run and been recorded.</summary>
    internal Task HooksIdle => _hooks;

    private async Task RunHooksAsync(IReadOnlyList<PendingFailureHook> hooks, CancellationToken ct)
    {
        try
        {
            var results = await Task.WhenAll(hooks.Select(h => RunHookAsync(h, ct)));
            await store.CompleteFollowUpsAsync(new FollowUpResults(results, []), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Logger.LogWarning("Recording on_failure hooks failed; they stay pending: {Error}", ex.Message);
        }
    }

    private async Task<(string RunId, FailureHookState State)> RunHookAsync(PendingFailureHook pending, CancellationToken ct)
    {
        var run = pending.FailedRun;
        var (ok, kind, message) = await ExecuteHookAsync(pending, ct);
        if (ok) Logger.LogInformation("on_failure hook of run {RunId} ({Product}/{Job} slot {Slot}) succeeded", run.Id, run.Product, run.JobTag, run.Slot);
        else Logger.LogWarning("on_failure hook of run {RunId} ({Product}/{Job} slot {Slot}) failed: {Kind}", run.Id, run.Product, run.JobTag, run.Slot, kind);
        return (run.Id, ok
            ? new FailureHookState(FailureHookStatuses.Succeeded, FinishedAt: time.GetUtcNow())
            : new FailureHookState(FailureHookStatuses.Failed, message, kind, time.GetUtcNow()));
    }

    private async Task<(bool Ok, string? Kind, string? Message)> ExecuteHookAsync(PendingFailureHook pending, CancellationToken ct)
    {
        var run = pending.FailedRun;
        if (pending.Job is not { OnFailure: { } hook } job)
            return (false, ErrorKinds.EventMissing, "the job was deleted or no longer has on_failure");
        var ev = await resolver.GetEventAsync(run.Product, hook.EventType, hook.EventTag, ct);
        if (ev is null) return (false, ErrorKinds.EventMissing, $"event {hook.EventType}/{hook.EventTag} does not exist in product '{run.Product}'");
        if (!_executors.TryGetValue(ev.Type, out var executor))
            return (false, ErrorKinds.NotRegistered, $"no executor for event type '{ev.Type}' on this node");
        var secrets = await resolver.GetSecretsAsync(run.Product, ct);
        var timeout = TimeSpan.FromMilliseconds(job.TimeoutMs > 0 ? job.TimeoutMs : 30_000);
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        using var input = JsonDocument.Parse(job.InputJson);
        var context = new ExecutionContext
        {
            Product = run.Product, JobTag = job.Tag, JobName = job.Name, RunId = run.Id, Slot = run.Slot, Attempt = run.Attempt,
            ScheduledAt = run.ScheduledAt, IdempotencyKey = RunKeys.FailureHookKey(run), Event = ev, Input = input.RootElement.Clone(),
            Secrets = secrets, Timeout = timeout,
            Failed = new FailedRunInfo(run.JobTag, run.Slot, run.Status.ToWire(), run.ErrorMessage, run.Id),
        };
        try
        {
            var outcome = await executor.ExecuteAsync(context, linked.Token);
            return (outcome.Succeeded, outcome.ErrorKind, SecretRedactor.Redact(outcome.ErrorMessage, secrets));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return (false, ErrorKinds.Timeout, $"the hook ran longer than {timeout.TotalMilliseconds} ms and was cancelled");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (false, ErrorKinds.Exception, SecretRedactor.Redact($"{ex.GetType().Name}: {ex.Message}", secrets));
        }
    }

    private static AuditRecord ToAudit(JobNotice notice)
    {
        var (from, to) = notice.Action == JobNoticeActions.Pause ? ("\"active\"", "\"paused\"") : ("\"paused\"", "\"active\"");
        return new AuditRecord(notice.Product, AuditActors.Engine, notice.Action, notice.JobTag,
            new Dictionary<string, AuditChange> { ["status"] = new(from, to) }, notice.At) { Reason = notice.Reason };
    }
}
