using Metronome.Core.Catalog;
using Metronome.Core.Events;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Storage.Conformance;

/// <summary>A store opened for one test: both interfaces (usually one object) and what closes it.</summary>
public sealed record StoreUnderTest(IJobStore Jobs, ICatalogStore Catalog, IAsyncDisposable Lifetime);

/// <summary>
/// The behaviour every <see cref="IJobStore"/> and <see cref="ICatalogStore"/> must have, run against a real database.
/// A subclass per store supplies an isolated database per test (so the suite runs in parallel) and a raw insert that
/// bypasses the store (to prove constraints live in the database).
/// </summary>
public abstract partial class JobStoreConformanceTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = LedgerTables.Start;
    protected static readonly TimeSpan Threshold = TimeSpan.FromHours(1);
    protected const string Product = "shop";
    protected const string Node = "node-a";

    private readonly List<IAsyncDisposable> _opened = [];

    protected FakeTimeProvider Time { get; } = new(Start);
    protected IJobStore Jobs { get; private set; } = null!;
    protected ICatalogStore Catalog { get; private set; } = null!;

    /// <summary>Opens a store on this test's database; a second call opens another instance on the same database.</summary>
    protected abstract Task<StoreUnderTest> OpenStoreAsync(TimeProvider time);

    /// <summary>Inserts a run row with plain SQL, bypassing the store.</summary>
    protected abstract Task InsertRunRowAsync(Run run);

    /// <summary>Removes this test's database once every store is closed.</summary>
    protected abstract Task DropDatabaseAsync();

    public async Task InitializeAsync()
    {
        var store = await OpenAsync();
        Jobs = store.Jobs;
        Catalog = store.Catalog;
        await Jobs.MigrateAsync(default);
        await Catalog.CreateProductAsync(new ProductRecord { Tag = Product, Name = "Shop", CreatedAt = Start, UpdatedAt = Start }, default);
        await Catalog.CreateEventAsync(NewEvent("action", "ping"), default);
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _opened) await store.DisposeAsync();
        await DropDatabaseAsync();
    }

    protected async Task<StoreUnderTest> OpenAsync()
    {
        var store = await OpenStoreAsync(Time);
        _opened.Add(store.Lifetime);
        return store;
    }

    protected static EventRecord NewEvent(string type, string tag, string product = Product) => new()
    {
        Product = product,
        Type = type,
        Tag = tag,
        Name = $"Event {tag}",
        DefinitionJson = """{"method":"POST","url":"http://127.0.0.1/x"}""",
        CreatedAt = Start,
        UpdatedAt = Start,
    };

    /// <summary>A job whose first slot is due one interval after <see cref="Start"/>.</summary>
    protected static Job NewJob(string tag, long executions = 0, long intervalMs = 1000, OverlapPolicy overlap = OverlapPolicy.Allow,
        MisfirePolicy misfire = MisfirePolicy.CatchUp, int maxAttempts = 1, string product = Product) =>
        LedgerTables.NewJob(tag, executions, intervalMs, overlap, misfire, maxAttempts, product);

    protected Task<Job> CreateAsync(Job job) => Jobs.CreateJobAsync(job, default);

    protected Task<ClaimResult> ClaimAsync(DateTimeOffset horizon, params long[] jobIds) => ClaimAsync(Jobs, horizon, jobIds);

    protected static Task<ClaimResult> ClaimAsync(IJobStore store, DateTimeOffset horizon, params long[] jobIds) =>
        store.ClaimDueSlotsAsync(new ClaimParams(Node, horizon, horizon, jobIds, Threshold), default);

    protected static DateTimeOffset At(double seconds) => Start + TimeSpan.FromSeconds(seconds);

    protected async Task<Job> ReloadAsync(Job job) => (await Jobs.GetJobAsync(job.Product, job.Tag, default))!;

    protected async Task<IReadOnlyList<Run>> RunsOfAsync(string jobTag, string product = Product) =>
        (await Jobs.ListRunsAsync(new RunQuery(product, jobTag, null, 100_000, null), default)).Items;

    protected static RunCompletion Succeeded(ClaimedRun claimed, DateTimeOffset startedAt, DateTimeOffset finishedAt) =>
        new(claimed.Run.Id, claimed.Run.JobId, claimed.Run.Attempt, RunStatus.Succeeded, startedAt, finishedAt, null, null, """{"ok":true}""", null, claimed.Run.Node);

    protected static RunCompletion Failed(ClaimedRun claimed, DateTimeOffset at, DateTimeOffset? retryAt) =>
        new(claimed.Run.Id, claimed.Run.JobId, claimed.Run.Attempt, RunStatus.Failed, at, at, "HTTP 503", "http_status", null, retryAt, claimed.Run.Node);
}
