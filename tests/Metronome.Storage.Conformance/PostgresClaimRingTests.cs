using Metronome.Core.Catalog;
using Metronome.Core.Events;
using Metronome.Core.Jobs;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres;

namespace Metronome.Storage.Conformance;

/// <summary>Claims partitioned by the ring of live nodes (PostgreSQL only): every live node owns a share of any set of jobs.</summary>
public sealed class PostgresClaimRingTests(PostgresFixture pg) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private static readonly string[] Nodes = ["node-a", "node-b", "node-c"];
    private readonly List<PostgresJobStore> _stores = [];
    private string _connectionString = "", _schema = "";

    public async Task InitializeAsync() => (_connectionString, _schema) = await pg.CreateSchemaAsync();

    public async Task DisposeAsync()
    {
        foreach (var store in _stores) await store.DisposeAsync();
        await pg.DropSchemaAsync(_schema);
    }

    /// <summary>A store of a cluster node: a takeover grace of an hour, so only ownership decides within a test.</summary>
    private PostgresJobStore Open()
    {
        var store = new PostgresJobStore(new PostgresStoreOptions
        {
            ConnectionString = _connectionString,
            Partitioning = new ClaimPartitioning(TimeSpan.FromSeconds(20), TimeSpan.FromHours(1)),
        }, TimeProvider.System);
        _stores.Add(store);
        return store;
    }

    /// <summary>Jobs due now whose ids are all multiples of <paramref name="stride"/> (the others are created and deleted).</summary>
    private static async Task<List<long>> CreateJobsAsync(PostgresJobStore store, int count, int stride)
    {
        var now = DateTimeOffset.UtcNow;
        await store.CreateProductAsync(new ProductRecord { Tag = "shop", Name = "Shop", CreatedAt = now, UpdatedAt = now }, default);
        await store.CreateEventAsync(new EventRecord { Product = "shop", Type = "action", Tag = "ping", Name = "Ping", DefinitionJson = "{}", CreatedAt = now, UpdatedAt = now }, default);
        var kept = new List<long>();
        for (int i = 0; kept.Count < count; i++)
        {
            var job = await store.CreateJobAsync(new Job
            {
                Product = "shop", Tag = $"job-{i}", Name = $"job {i}", EventType = "action", EventTag = "ping", IntervalMs = 3_600_000,
                Overlap = OverlapPolicy.Allow, NextSlot = 1, NextDueAt = now.AddSeconds(-1), CreatedAt = now, UpdatedAt = now,
            }, default);
            if (job.Id % stride == 0) kept.Add(job.Id);
            else await store.DeleteJobAsync("shop", job.Tag, default);
        }
        return kept;
    }

    [Fact]
    public async Task Every_live_node_claims_a_share_of_jobs_whose_ids_share_a_stride_with_the_ring()
    {
        var stores = Nodes.Select(_ => Open()).ToArray();
        await stores[0].MigrateAsync(default);
        // Ids that are all multiples of the ring's size: an id % n ring gives every job to one node and starves the others.
        var ids = await CreateJobsAsync(stores[0], 30, Nodes.Length);
        for (int i = 0; i < Nodes.Length; i++) await stores[i].HeartbeatAsync(Nodes[i], default);

        var claimed = new Dictionary<string, List<long>>();
        for (int i = 0; i < Nodes.Length; i++)
        {
            var now = DateTimeOffset.UtcNow;
            var result = await stores[i].ClaimDueSlotsAsync(new ClaimParams(Nodes[i], now, now, ids, TimeSpan.FromHours(1)), default);
            claimed[Nodes[i]] = result.Runs.Select(r => r.Run.JobId).ToList();
            // A job another node owns is not locked: its asker looks again once it would be overdue by the takeover grace.
            Assert.All(result.Schedule.Where(e => !claimed[Nodes[i]].Contains(e.JobId)), e => Assert.True(e.DueAt > now.AddMinutes(59)));
        }

        Assert.All(Nodes, node => Assert.NotEmpty(claimed[node]));
        Assert.Equal(ids.Order(), claimed.Values.SelectMany(x => x).Order()); // each job claimed once, by its owner
    }

    [Fact]
    public async Task A_node_outside_the_ring_claims_every_due_job()
    {
        var store = Open();
        await store.MigrateAsync(default);
        var ids = await CreateJobsAsync(store, 6, 1);
        await store.HeartbeatAsync("node-a", default);
        await store.HeartbeatAsync("node-b", default);

        var now = DateTimeOffset.UtcNow;
        var result = await store.ClaimDueSlotsAsync(new ClaimParams("node-z", now, now, ids, TimeSpan.FromHours(1)), default);

        Assert.Equal(ids.Order(), result.Runs.Select(r => r.Run.JobId).Order());
    }
}
