using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Audit;
using Metronome.Core.Catalog;
using Metronome.Core.Hosting;
using Metronome.Core.Jobs;
using Metronome.Core.Storage;
using Metronome.Core.Engine;
using Metronome.Core.Execution;
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Core.Tests.Audit;

/// <summary>What the services record, by whom, and that a lost record never fails the change (a real SQLite store).</summary>
public sealed class AuditTrailTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly Actor _actor = new();
    private SqliteJobStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteJobStore(new SqliteStoreOptions { DatabasePath = Path.Combine(Path.GetTempPath(), $"metronome-audit-{Guid.NewGuid():N}.db") }, _time);
        await _store.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Changes_carry_the_current_actor_the_clock_and_only_changed_fields_and_a_no_op_records_nothing()
    {
        var (catalog, jobs) = await ServicesAsync(new AuditTrail(_store, _actor, _time));
        _actor.Current = "key-7";
        await jobs.CreateAsync("shop", new ProductJob { Name = "J", Tag = "j", EventType = "action", EventTag = "ping", Executions = 1, Intervals = 60_000 });
        _time.Advance(TimeSpan.FromSeconds(5));
        _actor.Current = AuditActors.Admin;
        await jobs.UpdateAsync("shop", "j", new ProductJobUpdate { Intervals = 120_000 });
        await jobs.UpdateAsync("shop", "j", new ProductJobUpdate { Intervals = 120_000 });
        await jobs.PauseAsync("shop", "j");
        await jobs.PauseAsync("shop", "j"); // already paused: nothing changes
        await catalog.PutSecretAsync("shop", "TOKEN", new SecretValue { Value = "plain-secret" });
        await catalog.PutSecretAsync("shop", "TOKEN", new SecretValue { Value = "plain-secret-2" });

        var log = (await _store.ListAuditAsync("shop", 100, null, default)).Select(e => e.Record).ToList();
        Assert.Equal(["secret.put", "secret.put", "job.pause", "job.update", "job.create", "event.create", "product.create"], log.Select(r => r.Action));
        var update = log.Single(r => r.Action == "job.update");
        Assert.Equal(("admin", "j", _time.GetUtcNow()), (update.Actor, update.Target, update.At));
        Assert.Equal(new AuditChange("60000", "120000"), Assert.Single(update.Changes, c => c.Key == "intervals").Value);
        Assert.Equal(["intervals"], update.Changes.Keys);
        Assert.Equal("key-7", log.Single(r => r.Action == "job.create").Actor);
        Assert.Equal(new AuditChange(null, AuditDiff.Masked), log[1].Changes["value"]);
        Assert.Equal(new AuditChange(AuditDiff.Masked, AuditDiff.Masked), log[0].Changes["value"]);
        Assert.DoesNotContain(log, r => r.Changes.Values.Any(c => $"{c.OldJson}{c.NewJson}".Contains("plain-secret", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_record_the_sink_refuses_is_lost_but_the_change_stands()
    {
        var (_, jobs) = await ServicesAsync(new AuditTrail(new RefusingSink(), _actor, _time));

        await jobs.CreateAsync("shop", new ProductJob { Name = "J", Tag = "j", EventType = "action", EventTag = "ping", Executions = 1, Intervals = 60_000 });

        Assert.Equal("J", (await jobs.GetAsync("shop", "j")).Name);
    }

    private async Task<(CatalogService, JobService)> ServicesAsync(AuditTrail audit)
    {
        var engine = new NoEngine();
        var catalog = new CatalogService(_store, _store, engine, new PlainProtector(), [new ActionOnly()], _time, audit: audit);
        var jobs = new JobService(_store, _store, catalog, engine, _time, Options.Create(new MetronomeOptions()), audit);
        await catalog.CreateProductAsync(new Product { Tag = "shop", Name = "Shop" });
        await catalog.CreateEventAsync("shop", new ProductEvent
        {
            Type = "action", Tag = "ping", Name = "Ping", Definition = JsonSerializer.SerializeToElement(new { method = "GET", url = "http://127.0.0.1/" }),
        });
        return (catalog, jobs);
    }

    private sealed class Actor : IAuditActorSource
    {
        public string Current { get; set; } = AuditActors.Admin;
        public string CurrentActor => Current;
    }

    private sealed class RefusingSink : IAuditSink
    {
        public ValueTask RecordAsync(AuditRecord record, CancellationToken cancellationToken) => throw new InvalidOperationException("store down");
    }

    private sealed class ActionOnly : IEventExecutor
    {
        public string EventType => "action";
        public void Validate(JsonElement definition, ValidationErrors errors) { }
        public Task<ExecutionOutcome> ExecuteAsync(Execution.ExecutionContext context, CancellationToken ct) => Task.FromResult(ExecutionOutcome.Success());
    }

    private sealed class NoEngine : IEngineSignal
    {
        public void Reschedule(ScheduleEntry entry) { }
        public void Cancel(long jobId) { }
        public void Dispatch(ClaimedRun run) { }
        public void CatalogChanged(string product) { }
    }

    private sealed class PlainProtector : ISecretProtector
    {
        public string Protect(string plaintext) => plaintext;
        public string Unprotect(string protectedValue) => protectedValue;
    }
}
