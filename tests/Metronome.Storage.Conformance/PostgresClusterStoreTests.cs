using Metronome.Core;
using System.Collections.Concurrent;
using Metronome.Core.Catalog;
using Metronome.Core.Events;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Storage.Conformance;

/// <summary>What only the PostgreSQL store does: concurrent migrations, the database clock, notifications, leases and liveness.</summary>
public sealed class PostgresClusterStoreTests(PostgresFixture pg) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private readonly List<PostgresJobStore> _stores = [];
    private string _connectionString = "", _schema = "";

    public async Task InitializeAsync() => (_connectionString, _schema) = await pg.CreateSchemaAsync();

    public async Task DisposeAsync()
    {
        foreach (var store in _stores) await store.DisposeAsync();
        await pg.DropSchemaAsync(_schema);
    }

    private PostgresJobStore Open(bool databaseClock = true, TimeProvider? time = null)
    {
        var store = new PostgresJobStore(new PostgresStoreOptions { ConnectionString = _connectionString, UseDatabaseClock = databaseClock }, time ?? TimeProvider.System);
        _stores.Add(store);
        return store;
    }

    private static async Task<Job> CreateJobAsync(PostgresJobStore store, string tag, DateTimeOffset firstDue, long intervalMs = 1000)
    {
        var now = DateTimeOffset.UtcNow;
        if (await store.GetProductAsync("shop", default) is null)
        {
            await store.CreateProductAsync(new ProductRecord { Tag = "shop", Name = "Shop", CreatedAt = now, UpdatedAt = now }, default);
            await store.CreateEventAsync(new EventRecord { Product = "shop", Type = "action", Tag = "ping", Name = "Ping", DefinitionJson = "{}", CreatedAt = now, UpdatedAt = now }, default);
        }
        return await store.CreateJobAsync(new Job
        {
            Product = "shop", Tag = tag, Name = tag, EventType = "action", EventTag = "ping", IntervalMs = intervalMs, Overlap = OverlapPolicy.Allow,
            Retries = new RetryPolicy(2, 100, 1000), TimeoutMs = 1000, NextSlot = 1, NextDueAt = firstDue, CreatedAt = now, UpdatedAt = now,
        }, default);
    }

    [Fact]
    public async Task The_backfill_queue_probe_every_node_makes_each_second_is_an_index_lookup_not_a_scan_of_runs()
    {
        await Open().MigrateAsync(default);

        await using var connection = new Npgsql.NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        // A fresh table is small enough for the planner to prefer a scan; with scans priced out, the plan shows whether an
        // index can answer the probe at all (a table of millions of runs takes it by cost).
        await using (var off = new Npgsql.NpgsqlCommand("SET enable_seqscan = off", connection)) await off.ExecuteNonQueryAsync();
        await using var explain = new Npgsql.NpgsqlCommand(
            "EXPLAIN SELECT 1 FROM runs WHERE status = 'running' AND node IS NULL LIMIT 1", connection);
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(0));

        Assert.Contains(plan, line => line.Contains("runs_queued", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.Contains("Seq Scan", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nodes_migrating_at_once_apply_each_migration_once()
    {
        var stores = Enumerable.Range(0, 6).Select(_ => Open()).ToArray();

        await Task.WhenAll(stores.Select(s => s.MigrateAsync(default)));

        var latest = SchemaMigrations.Load(typeof(PostgresJobStore).Assembly)[^1].Version;
        Assert.All(await Task.WhenAll(stores.Select(s => s.GetSchemaVersionAsync(default))), v => Assert.Equal(latest, v));
    }

    [Fact]
    public async Task The_database_clock_decides_what_is_due_not_the_callers()
    {
        var store = Open();
        await store.MigrateAsync(default);
        var job = await CreateJobAsync(store, "later", DateTimeOffset.UtcNow.AddHours(1));
        var farFuture = DateTimeOffset.UtcNow.AddDays(1);

        // A node whose clock runs a day ahead claims nothing: the database says the job is due in an hour.
        var result = await store.ClaimDueSlotsAsync(new ClaimParams("fast-clock", farFuture, farFuture + TimeSpan.FromMilliseconds(20), [job.Id], TimeSpan.FromSeconds(5)), default);

        Assert.Empty(result.Runs);
        Assert.Equal(job.NextDueAt.ToUnixTimeMilliseconds(), Assert.Single(result.Schedule).DueAt!.Value.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Job_commands_notify_every_listening_node()
    {
        var store = Open();
        await store.MigrateAsync(default);
        var listener = Open();
        var changes = new ConcurrentQueue<ScheduleChange>();
        var listening = new TaskCompletionSource();
        using var stop = new CancellationTokenSource();
        var listen = listener.ListenAsync(() => { listening.TrySetResult(); return Task.CompletedTask; }, changes.Enqueue, stop.Token);
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var due = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeMilliseconds());
        var job = await CreateJobAsync(store, "heard", due);
        await store.ModifyJobAsync("shop", "heard", j => j with { Status = JobStatus.Paused }, default);
        await store.DeleteJobAsync("shop", "heard", default);

        await WaitUntilAsync(() => changes.Count >= 3);
        Assert.Equal([new ScheduleChange(job.Id, due, false), new ScheduleChange(job.Id, null, true), new ScheduleChange(job.Id, null, true)], changes.ToArray());
        stop.Cancel();
        await listen;
    }

    [Fact]
    public async Task Every_committed_catalog_write_notifies_its_product_on_the_schedule_channel_and_bumps_its_version()
    {
        var store = Open();
        await store.MigrateAsync(default);
        var listener = Open();
        var (schedule, catalog) = (new ConcurrentQueue<ScheduleChange>(), new ConcurrentQueue<string>());
        var listening = new TaskCompletionSource();
        using var stop = new CancellationTokenSource();
        var listen = listener.ListenAsync(() => { listening.TrySetResult(); return Task.CompletedTask; }, schedule.Enqueue, catalog.Enqueue, stop.Token);
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var now = DateTimeOffset.UtcNow;
        var product = new ProductRecord { Tag = "cat", Name = "Cat", CreatedAt = now, UpdatedAt = now };
        var ev = new EventRecord { Product = "cat", Type = "action", Tag = "ping", Name = "Ping", DefinitionJson = "{}", CreatedAt = now, UpdatedAt = now };
        await store.CreateProductAsync(product, default);
        await store.AddKeyAsync(new ProductKeyRecord("k1", "cat", "hash-1", now), default);
        await store.PutSecretAsync("cat", "TOKEN", "v1", default);
        await store.CreateEventAsync(ev, default);
        await Assert.ThrowsAsync<ConflictException>(() => store.CreateEventAsync(ev, default)); // rolled back: announces nothing
        await store.UpdateEventAsync(ev with { DefinitionJson = """{"a":1}""" }, default);
        Assert.False(await store.UpdateEventAsync(ev with { Tag = "missing" }, default));       // changed nothing: announces nothing
        await store.UpdateProductAsync(product with { Name = "Cat 2" }, default);
        await store.DeleteEventAsync("cat", "action", "ping", force: false, now, default);
        await store.DeleteProductAsync("cat", default);
        await store.CreateProductAsync(product with { Tag = "other" }, default);

        await WaitUntilAsync(() => catalog.Count >= 9);
        Assert.Equal([.. Enumerable.Repeat("cat", 8), "other"], catalog.ToArray());
        Assert.Empty(schedule);
        await using var connection = new Npgsql.NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var versions = new Npgsql.NpgsqlCommand("SELECT version FROM catalog_versions WHERE product = 'cat'", connection);
        Assert.Equal(8L, await versions.ExecuteScalarAsync()); // kept after the product's deletion: a re-created product counts on
        stop.Cancel();
        await listen;
    }

    [Fact]
    public async Task One_node_at_a_time_holds_the_lease_until_it_expires()
    {
        var store = Open();
        await store.MigrateAsync(default);
        var ttl = TimeSpan.FromMilliseconds(800);

        var wins = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => store.TryAcquireLeaseAsync("leader", $"node-{i}", ttl, default)));
        Assert.Single(wins, w => w);
        var holder = $"node-{Array.IndexOf(wins, true)}";
        var other = holder == "node-0" ? "node-1" : "node-0";

        Assert.True(await store.TryAcquireLeaseAsync("leader", holder, ttl, default)); // renewal
        Assert.False(await store.TryAcquireLeaseAsync("leader", other, ttl, default));
        // Expired (on the database's clock): taken over.
        await WaitUntilAsync(() => store.TryAcquireLeaseAsync("leader", other, ttl, default));
        await store.ReleaseLeaseAsync("leader", other, default);
        Assert.True(await store.TryAcquireLeaseAsync("leader", holder, ttl, default)); // released: free at once
    }

    [Fact]
    public async Task Runs_of_a_node_that_stopped_heartbeating_are_recovered_by_another()
    {
        var store = Open();
        await store.MigrateAsync(default);
        var job = await CreateJobAsync(store, "orphan", DateTimeOffset.UtcNow.AddSeconds(-0.5));
        await store.HeartbeatAsync("node-a", default);
        await store.HeartbeatAsync("node-b", default);
        var now = DateTimeOffset.UtcNow;
        var claimed = await store.ClaimDueSlotsAsync(new ClaimParams("node-a", now, now + TimeSpan.FromMilliseconds(20), [job.Id], TimeSpan.FromSeconds(5)), default);
        var run = Assert.Single(claimed.Runs).Run;

        Assert.Empty(await store.ListDeadNodesAsync(TimeSpan.FromSeconds(30), default));
        // node-b keeps heartbeating; node-a does not, and is dead once its last heartbeat is 400 ms old on the database clock.
        await WaitUntilAsync(async () =>
        {
            await store.HeartbeatAsync("node-b", default);
            return (await store.ListDeadNodesAsync(TimeSpan.FromMilliseconds(400), default)).SequenceEqual(["node-a"]);
        });

        var recovered = await store.RecoverRunsAsync(new RecoverParams("node-b", DateTimeOffset.UtcNow, ["node-a"]), default);

        var resumed = Assert.Single(recovered.Resume);
        Assert.Equal((run.Id, run.Slot, 2, "node-b"), (resumed.Run.Id, resumed.Run.Slot, resumed.Run.Attempt, resumed.Run.Node));
        Assert.Empty(await store.ListDeadNodesAsync(TimeSpan.FromMilliseconds(400), default));
        // The dead node's late report of the first attempt is fenced off (the run is now attempt 2 on node-b); the re-issued
        // attempt's report finishes it, and a replay of that changes nothing.
        var late = new RunCompletion(run.Id, job.Id, 1, RunStatus.Succeeded, now, now, null, null, null, null, "node-a");
        Assert.Empty(await store.CompleteRunsAsync([late], default));
        Assert.Equal(1, (await store.GetJobAsync("shop", "orphan", default))!.InFlight);
        var taken = new RunCompletion(run.Id, job.Id, 2, RunStatus.Succeeded, now, now, null, null, null, null, "node-b");
        Assert.Single(await store.CompleteRunsAsync([taken], default));
        Assert.Empty(await store.CompleteRunsAsync([taken], default));
        Assert.Equal(0, (await store.GetJobAsync("shop", "orphan", default))!.InFlight);
    }

    [Fact]
    public async Task Two_nodes_claiming_with_the_database_clock_never_share_a_slot()
    {
        var a = Open();
        await a.MigrateAsync(default);
        var b = Open();
        var start = DateTimeOffset.UtcNow;
        var ids = new List<long>();
        for (int i = 0; i < 20; i++) ids.Add((await CreateJobAsync(a, $"race-{i}", start, intervalMs: 50)).Id);

        async Task<List<(long, long)>> Race(PostgresJobStore store, string node)
        {
            var mine = new List<(long, long)>();
            while (DateTimeOffset.UtcNow < start + TimeSpan.FromSeconds(1.5))
            {
                var now = DateTimeOffset.UtcNow;
                var result = await store.ClaimDueSlotsAsync(new ClaimParams(node, now, now + TimeSpan.FromMilliseconds(20), ids, TimeSpan.FromSeconds(5)), default);
                mine.AddRange(result.Runs.Select(r => (r.Run.JobId, r.Run.Slot)));
            }
            return mine;
        }
        var claims = await Task.WhenAll(Task.Run(() => Race(a, "a")), Task.Run(() => Race(b, "b")));

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.NotEmpty(claims[0]);
        Assert.NotEmpty(claims[1]);
        foreach (var id in ids) // every job's slots form a gapless 1..n
        {
            var slots = all.Where(s => s.Item1 == id).Select(s => s.Item2).Order().ToList();
            Assert.Equal(Enumerable.Range(1, slots.Count).Select(s => (long)s), slots);
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in 30 s");
            await Task.Delay(20);
        }
    }
}
