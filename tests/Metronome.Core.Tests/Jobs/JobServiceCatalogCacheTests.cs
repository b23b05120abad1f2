using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Catalog;
using Metronome.Core.Engine;
using Metronome.Core.Execution;
using Metronome.Core.Hosting;
using Metronome.Core.Jobs;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Core.Tests.Jobs;

/// <summary>Creates check the product and event through <see cref="CatalogCache"/>; every catalogue change must be seen by the next create.</summary>
public sealed class JobServiceCatalogCacheTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private SqliteJobStore _store = null!;
    private CatalogService _catalog = null!;
    private JobService _jobs = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteJobStore(new SqliteStoreOptions { DatabasePath = Path.Combine(Path.GetTempPath(), $"metronome-cache-{Guid.NewGuid():N}.db") }, _time);
        await _store.MigrateAsync(CancellationToken.None);
        var engine = new NoEngine();
        _catalog = new CatalogService(_store, _store, engine, new PlainProtector(), [new ActionOnly()], _time);
        _jobs = new JobService(_store, _store, _catalog, engine, _time, Options.Create(new MetronomeOptions()));
        await _catalog.CreateProductAsync(new Product { Tag = "shop", Name = "Shop" });
        await _catalog.CreateEventAsync("shop", new ProductEvent
        {
            Type = "action", Tag = "ping", Name = "Ping", Definition = JsonSerializer.SerializeToElement(new { method = "GET", url = "http://127.0.0.1/" }),
        });
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private static ProductJob Job(string tag) => new() { Name = tag, Tag = tag, EventType = "action", EventTag = "ping", Executions = 1, Intervals = 60_000 };

    [Fact]
    public async Task Create_after_its_event_was_deleted_is_rejected_naming_event_tag()
    {
        await _jobs.CreateAsync("shop", Job("cached")); // product and event are now cached
        await _jobs.DeleteAsync("shop", "cached");

        await _catalog.DeleteEventAsync("shop", "action", "ping", force: false);

        var e = await Assert.ThrowsAsync<ValidationFailedException>(() => _jobs.CreateAsync("shop", Job("late")));
        Assert.True(e.Errors.ContainsKey("event_tag"));
        var bulk = await _jobs.CreateManyAsync("shop", [Job("late-bulk")]);
        Assert.True(bulk[0].Invalid!.Errors.ContainsKey("event_tag"));
    }

    [Fact]
    public async Task Create_after_its_product_was_deleted_is_not_found()
    {
        await _jobs.CreateAsync("shop", Job("cached"));

        await _catalog.DeleteProductAsync("shop");

        await Assert.ThrowsAsync<NotFoundException>(() => _jobs.CreateAsync("shop", Job("late")));
        await Assert.ThrowsAsync<NotFoundException>(() => _jobs.CreateManyAsync("shop", [Job("late-bulk")]));
    }

    [Fact]
    public async Task Key_stops_resolving_once_its_product_is_deleted()
    {
        var key = await _catalog.CreateKeyAsync("shop");
        Assert.Equal("shop", await _catalog.ResolveKeyAsync(key.Key!)); // cached now

        await _catalog.DeleteProductAsync("shop");

        Assert.Null(await _catalog.ResolveKeyAsync(key.Key!));
    }

    [Fact]
    public async Task Deletion_by_another_process_is_seen_once_the_cached_answer_expires()
    {
        await _jobs.CreateAsync("shop", Job("cached"));
        await _jobs.DeleteAsync("shop", "cached");
        // Another node deletes the event: nothing in this process is told.
        await _store.DeleteEventAsync("shop", "action", "ping", force: false, _time.GetUtcNow(), CancellationToken.None);

        _time.Advance(_catalog.Cache.TimeToLive + TimeSpan.FromMilliseconds(1));

        await Assert.ThrowsAsync<ValidationFailedException>(() => _jobs.CreateAsync("shop", Job("late")));
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
