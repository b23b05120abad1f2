using System.Collections.Concurrent;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Audit;
using Metronome.Core.Engine;
using Metronome.Core.Events;
using Metronome.Core.Execution;
using Metronome.Core.Hosting;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Core.Tests.Failures;

/// <summary>
/// The leader's follow-ups on a real SQLite file with a fake clock (issue 14): each failed run's <c>on_failure</c> hook runs
/// once, also across a crash; automatic pauses and resumes at <c>until</c> reach the audit log with actor <c>engine</c>.
/// </summary>
public sealed class FollowUpWorkerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"metronome-followups-{Guid.NewGuid():N}.db");
    private readonly List<SqliteJobStore> _stores = [];
    private readonly HookExecutor _executor = new();
    private readonly RecordingAudit _audit = new();
    private readonly RecordingSignal _signal = new();
    private SqliteJobStore _store = null!;
    private JobService _jobs = null!;

    public async Task InitializeAsync()
    {
        _store = Open();
        await _store.MigrateAsync(default);
        await _store.CreateProductAsync(new Metronome.Core.Catalog.ProductRecord { Tag = "shop", Name = "Shop", CreatedAt = T0, UpdatedAt = T0 }, default);
        foreach (var tag in new[] { "ping", "alert" })
            await _store.CreateEventAsync(new EventRecord { Product = "shop", Type = "action", Tag = tag, Name = tag, DefinitionJson = "{}", CreatedAt = T0, UpdatedAt = T0 }, default);
        _jobs = new JobService(_store, _store, _signal, _time, Options.Create(new MetronomeOptions()));
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _stores) await store.DisposeAsync();
    }

    private SqliteJobStore Open()
    {
        var store = new SqliteJobStore(new SqliteStoreOptions { DatabasePath = _path }, _time);
        _stores.Add(store);
        return store;
    }

    private FollowUpWorker Worker(IJobStore store) => new(store, new EventResolver(store as ICatalogStore ?? _store, null, _time, TimeSpan.FromSeconds(5)),
        [_executor], _signal, _audit, _time, () => true, NullLogger.Instance);

    private static async Task PassAsync(FollowUpWorker worker)
    {
        await worker.RunOnceAsync(default);
        await worker.HooksIdle;
    }

    private Task<Job> CreateAsync(string tag, Action<ProductJob>? tweak = null)
    {
        var job = new ProductJob { Name = tag, Tag = tag, EventType = "action", EventTag = "ping", Executions = 0, Intervals = 60_000 };
        tweak?.Invoke(job);
        return _jobs.CreateAsync("shop", job);
    }

    /// <summary>Triggers one run of the job and reports it finished with <paramref name="status"/>.</summary>
    private async Task<Run> FinishAsync(IJobStore store, Job job, RunStatus status, string? error = "HTTP 500")
    {
        var claimed = await store.TriggerJobAsync(new TriggerParams("shop", job.Tag, "node", _time.GetUtcNow(), RunKeys.NewId(_time)), default);
        await store.CompleteRunsAsync([new RunCompletion(claimed.Run.Id, job.Id, 1, status, _time.GetUtcNow(), _time.GetUtcNow(),
            status == RunStatus.Succeeded ? null : error, status == RunStatus.Succeeded ? null : "http_status", null, null, "node")], default);
        return (await store.GetRunAsync("shop", claimed.Run.Id, default))!;
    }

    [Fact]
    public async Task A_failed_run_runs_its_hook_once_with_the_failed_values()
    {
        var job = await CreateAsync("billing", j => j.OnFailure = new JobEventRef { EventType = "action", EventTag = "alert" });
        var failed = await FinishAsync(_store, job, RunStatus.TimedOut, "took too long");
        var ok = await FinishAsync(_store, job, RunStatus.Succeeded);
        var worker = Worker(_store);

        await PassAsync(worker);
        await PassAsync(worker);

        var call = Assert.Single(_executor.Calls);
        Assert.Equal("alert", call.Event.Tag);
        Assert.Equal(new FailedRunInfo("billing", 0, "timed_out", "took too long", failed.Id), call.Failed);
        Assert.Equal(failed.IdempotencyKey + "/on_failure", call.IdempotencyKey);
        Assert.Equal(FailureHookStatuses.Succeeded, (await _store.GetRunAsync("shop", failed.Id, default))!.OnFailure?.Status);
        Assert.Null((await _store.GetRunAsync("shop", ok.Id, default))!.OnFailure);
    }

    [Fact]
    public async Task A_hook_that_fails_is_recorded_failed_on_the_run_and_not_retried()
    {
        var job = await CreateAsync("flaky", j => j.OnFailure = new JobEventRef { EventType = "action", EventTag = "alert" });
        var failed = await FinishAsync(_store, job, RunStatus.Failed);
        _executor.Outcome = ExecutionOutcome.Failure(ErrorKinds.HttpStatus, "HTTP 502");
        var worker = Worker(_store);

        await PassAsync(worker);
        await PassAsync(worker);

        Assert.Single(_executor.Calls);
        Assert.Equal(new FailureHookState(FailureHookStatuses.Failed, "HTTP 502", ErrorKinds.HttpStatus, _time.GetUtcNow()),
            (await _store.GetRunAsync("shop", failed.Id, default))!.OnFailure);
    }

    [Fact]
    public async Task A_hook_left_pending_by_a_crash_runs_on_the_next_engine_with_the_same_key()
    {
        var job = await CreateAsync("crashy", j => j.OnFailure = new JobEventRef { EventType = "action", EventTag = "alert" });
        var failed = await FinishAsync(_store, job, RunStatus.Failed);

        // The first engine dies after its hook ran but before the outcome was written: the hook stays pending in the store.
        var dying = new FailingCompletionStore(Open());
        await PassAsync(Worker(dying));
        Assert.Single(_executor.Calls);

        // A new engine on a fresh store instance (the process restarted) finds it and runs it again, with the same key.
        var restarted = Open();
        var worker = Worker(restarted);
        await PassAsync(worker);
        await PassAsync(worker);

        Assert.Equal(2, _executor.Calls.Count);
        Assert.Single(_executor.Calls.Select(c => c.IdempotencyKey).Distinct());
        Assert.Equal(FailureHookStatuses.Succeeded, (await restarted.GetRunAsync("shop", failed.Id, default))!.OnFailure?.Status);
    }

    [Fact]
    public async Task A_completion_before_a_crash_leaves_the_hook_for_the_next_engine()
    {
        var job = await CreateAsync("killed", j => j.OnFailure = new JobEventRef { EventType = "action", EventTag = "alert" });
        var failed = await FinishAsync(_store, job, RunStatus.Failed); // kill -9 here: no engine ran the hook

        var restarted = Open();
        await PassAsync(Worker(restarted));

        Assert.Equal(failed.Id, Assert.Single(_executor.Calls).Failed?.RunId);
    }

    [Fact]
    public async Task An_automatic_pause_is_audited_by_the_engine_with_its_reason()
    {
        var job = await CreateAsync("fragile", j => j.PauseAfterFailures = 3);
        await FinishAsync(_store, job, RunStatus.Failed);
        await FinishAsync(_store, job, RunStatus.Succeeded);
        for (int i = 0; i < 3; i++) await FinishAsync(_store, job, RunStatus.Failed);

        await PassAsync(Worker(_store));

        var paused = await _jobs.GetAsync("shop", "fragile");
        Assert.Equal((JobStatus.Paused, 3), (paused.Status, paused.ConsecutiveFailures));
        var entry = Assert.Single(_audit.Records);
        Assert.Equal((AuditActors.Engine, "job.pause", "fragile", "3 consecutive slots ended without success"),
            (entry.Actor, entry.Action, entry.Target, entry.Reason));
        Assert.Equal(new AuditChange("\"active\"", "\"paused\""), entry.Changes["status"]);
        await PassAsync(Worker(_store));
        Assert.Single(_audit.Records); // written once
    }

    [Fact]
    public async Task A_job_paused_until_resumes_when_until_passes_and_the_resume_is_audited()
    {
        var job = await CreateAsync("nap");
        var until = T0 + TimeSpan.FromSeconds(2);
        var paused = await _jobs.PauseAsync("shop", "nap", new JobPauseRequest { Until = until });
        Assert.Equal((JobStatus.Paused, (DateTimeOffset?)until), (paused.Status, paused.PausedUntil));
        var worker = Worker(_store);

        _time.Advance(TimeSpan.FromMilliseconds(1999));
        await PassAsync(worker);
        Assert.Equal(JobStatus.Paused, (await _jobs.GetAsync("shop", "nap")).Status);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await PassAsync(worker);

        var resumed = await _jobs.GetAsync("shop", "nap");
        Assert.Equal((JobStatus.Active, (DateTimeOffset?)null), (resumed.Status, resumed.PausedUntil));
        Assert.Equal(T0 + TimeSpan.FromMinutes(1), resumed.NextDueAt); // the next grid point after now, as a manual resume
        Assert.Contains(new ScheduleEntry(job.Id, resumed.NextDueAt), _signal.Rescheduled);
        var entry = Assert.Single(_audit.Records);
        Assert.Equal((AuditActors.Engine, "job.resume", "nap"), (entry.Actor, entry.Action, entry.Target));
    }

    [Fact]
    public async Task A_manual_resume_clears_until_and_pause_until_the_past_is_refused()
    {
        await CreateAsync("manual");
        await _jobs.PauseAsync("shop", "manual", new JobPauseRequest { Until = T0 + TimeSpan.FromHours(1) });

        var resumed = await _jobs.ResumeAsync("shop", "manual");
        Assert.Null(resumed.PausedUntil);
        var error = await Assert.ThrowsAsync<ValidationFailedException>(() => _jobs.PauseAsync("shop", "manual", new JobPauseRequest { Until = T0 }));
        Assert.Equal(["until"], error.Errors.Keys);
        Assert.Equal(JobStatus.Active, (await _jobs.GetAsync("shop", "manual")).Status);
    }

    [Fact]
    public async Task An_on_failure_event_that_does_not_exist_is_refused_naming_on_failure()
    {
        var error = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            CreateAsync("bad", j => j.OnFailure = new JobEventRef { EventType = "action", EventTag = "missing" }));
        Assert.Equal(["on_failure"], error.Errors.Keys);
        var negative = await Assert.ThrowsAsync<ValidationFailedException>(() => CreateAsync("neg", j => j.PauseAfterFailures = -1));
        Assert.Equal(["pause_after_failures"], negative.Errors.Keys);
    }

    /// <summary>An <c>action</c> executor recording what each hook was handed.</summary>
    private sealed class HookExecutor : IEventExecutor
    {
        public ConcurrentQueue<ExecutionContext> Calls { get; } = new();
        public ExecutionOutcome Outcome { get; set; } = ExecutionOutcome.Success();
        public string EventType => "action";
        public void Validate(JsonElement definition, ValidationErrors errors) { }

        public Task<ExecutionOutcome> ExecuteAsync(ExecutionContext context, CancellationToken ct)
        {
            Calls.Enqueue(context);
            return Task.FromResult(Outcome);
        }
    }

    private sealed class RecordingAudit : IAuditSink
    {
        public ConcurrentQueue<AuditRecord> Records { get; } = new();

        public ValueTask RecordAsync(AuditRecord record, CancellationToken cancellationToken)
        {
            Records.Enqueue(record);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class RecordingSignal : IEngineSignal
    {
        public ConcurrentQueue<ScheduleEntry> Rescheduled { get; } = new();
        public void Reschedule(ScheduleEntry entry) => Rescheduled.Enqueue(entry);
        public void Cancel(long jobId) { }
        public void Dispatch(ClaimedRun run) { }
        public void CatalogChanged(string product) { }
    }

    /// <summary>A store whose follow-up completion fails: the process dies after running the hook, before recording it.</summary>
    private sealed class FailingCompletionStore(SqliteJobStore inner) : DelegatingJobStore(inner)
    {
        public override Task CompleteFollowUpsAsync(FollowUpResults results, CancellationToken ct) => throw new IOException("killed");
    }
}
