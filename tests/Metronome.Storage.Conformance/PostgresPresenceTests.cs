using Metronome.Core.Events;
using Metronome.Core.Catalog;
using Metronome.Core.Jobs;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres;
using Npgsql;

namespace Metronome.Storage.Conformance;

/// <summary>
/// Presence of PostgreSQL nodes (Cluster/README.md, "Presence"): a session-level advisory lock on a dedicated connection,
/// seen by other sessions without waiting; the leader's declarations; the ring and the lease following presence.
/// </summary>
public sealed class PostgresPresenceTests(PostgresFixture pg) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private readonly List<PostgresJobStore> _stores = [];
    private readonly List<INodePresenceSession> _sessions = [];
    private string _connectionString = "", _schema = "";

    public async Task InitializeAsync()
    {
        (_connectionString, _schema) = await pg.CreateSchemaAsync();
        await Open().MigrateAsync(default);
    }

    public async Task DisposeAsync()
    {
        foreach (var session in _sessions) await session.DisposeAsync();
        foreach (var store in _stores) await store.DisposeAsync();
        await pg.DropSchemaAsync(_schema);
    }

    private PostgresJobStore Open()
    {
        var store = new PostgresJobStore(new PostgresStoreOptions
        {
            ConnectionString = _connectionString,
            Partitioning = new ClaimPartitioning(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)),
        }, TimeProvider.System);
        _stores.Add(store);
        return store;
    }

    private async Task<INodePresenceSession> JoinAsync(PostgresJobStore store, string node)
    {
        var session = await store.JoinAsync(node, default) ?? throw new InvalidOperationException($"{node} could not join");
        _sessions.Add(session);
        return session;
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_held_presence_is_present_and_a_terminated_session_is_absent_until_the_node_joins_again()
    {
        var node = Open();
        var leader = Open();
        var session = await JoinAsync(node, "node-a");
        Assert.False(session.WasDeclaredDead);
        Assert.True(await session.ConfirmAsync(default));
        Assert.Empty(await leader.ListAbsentNodesAsync(default));
        // The row records what the node holds: its backend.
        var pid = await ScalarAsync<int>("SELECT presence_pid FROM nodes WHERE name = 'node-a'");

        Assert.True(await ScalarAsync<bool>($"SELECT pg_terminate_backend({pid})"));

        await WaitUntilAsync(async () => (await leader.ListAbsentNodesAsync(default)).SequenceEqual(["node-a"]));
        await Assert.ThrowsAnyAsync<Exception>(() => session.ConfirmAsync(default)); // the node learns it lost its presence
        Assert.Equal(["node-a"], await leader.DeclareDeadAsync(["node-a"], endPresence: false, default));
        Assert.Empty(await leader.ListAbsentNodesAsync(default)); // declared: no longer a candidate
        var again = await JoinAsync(node, "node-a");
        Assert.True(again.WasDeclaredDead);                      // its runs were taken over: it must drop what it held
        Assert.True(await again.ConfirmAsync(default));
        Assert.Empty(await leader.ListAbsentNodesAsync(default));
        Assert.True(await ScalarAsync<bool>("SELECT lost_at IS NULL AND presence_pid <> " + pid + " FROM nodes WHERE name = 'node-a'"));
    }

    [Fact]
    public async Task A_second_process_with_the_same_node_name_cannot_join_until_the_first_is_gone()
    {
        var first = await JoinAsync(Open(), "node-a");
        var other = Open();

        Assert.Null(await other.JoinAsync("node-a", default));
        Assert.NotNull(await JoinAsync(Open(), "node-b")); // another name is fine

        await first.DisposeAsync();
        var second = await JoinAsync(other, "node-a");
        Assert.False(second.WasDeclaredDead);
        Assert.True(await second.ConfirmAsync(default));
    }

    [Fact]
    public async Task Declaring_a_present_node_dead_by_presence_leaves_it_alone()
    {
        var session = await JoinAsync(Open(), "node-a");

        Assert.Empty(await Open().DeclareDeadAsync(["node-a"], endPresence: false, default));

        Assert.True(await session.ConfirmAsync(default));
    }

    [Fact]
    public async Task Declaring_a_silent_node_dead_ends_its_session_and_its_next_check_fails()
    {
        var session = await JoinAsync(Open(), "node-a"); // a paused process: its session and lock live on
        var leader = Open();

        Assert.Equal(["node-a"], await leader.DeclareDeadAsync(["node-a"], endPresence: true, default));

        await WaitUntilAsync(async () => await ScalarAsync<long>(
            "SELECT count(*) FROM pg_stat_activity a JOIN nodes n ON a.pid = n.presence_pid WHERE n.name = 'node-a'") == 0);
        bool confirmed;
        try { confirmed = await session.ConfirmAsync(default); }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException) { confirmed = false; }
        Assert.False(confirmed);
        Assert.Empty(await leader.ListAbsentNodesAsync(default)); // declared: not listed again
    }

    [Fact]
    public async Task A_node_declared_dead_leaves_the_ring_and_claims_nothing_until_it_joins_again()
    {
        var a = Open();
        var b = Open();
        await a.HeartbeatAsync("node-a", default);
        await b.HeartbeatAsync("node-b", default);
        var now = DateTimeOffset.UtcNow;
        await a.CreateProductAsync(new ProductRecord { Tag = "shop", Name = "Shop", CreatedAt = now, UpdatedAt = now }, default);
        await a.CreateEventAsync(new EventRecord { Product = "shop", Type = "action", Tag = "ping", Name = "Ping", DefinitionJson = "{}", CreatedAt = now, UpdatedAt = now }, default);
        // Jobs due now, until one is owned by node-a in the ring [node-a, node-b] (rendezvous hashing, as the claim decides).
        var jobs = new List<Job>();
        for (int i = 0; i < 16 && !await OwnedByAsync("node-a", jobs); i++)
            jobs.Add(await a.CreateJobAsync(new Job
            {
                Product = "shop", Tag = $"j{i}", Name = $"j{i}", EventType = "action", EventTag = "ping", IntervalMs = 60_000, Overlap = OverlapPolicy.Allow,
                Retries = new RetryPolicy(1, 100, 1000), TimeoutMs = 1000, NextSlot = 1, NextDueAt = now.AddMilliseconds(-100), CreatedAt = now, UpdatedAt = now,
            }, default));
        Assert.True(await OwnedByAsync("node-a", jobs));
        var ownedByA = jobs[^1];
        ClaimParams Claim(string node) => new(node, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMilliseconds(20), [ownedByA.Id], TimeSpan.FromMinutes(5));

        Assert.Empty((await b.ClaimDueSlotsAsync(Claim("node-b"), default)).Runs); // node-a's job, not yet overdue by the grace
        Assert.Equal(["node-a"], await b.DeclareDeadAsync(["node-a"], endPresence: true, default));

        Assert.Empty((await a.ClaimDueSlotsAsync(Claim("node-a"), default)).Runs);  // declared dead: claims nothing
        Assert.Single((await b.ClaimDueSlotsAsync(Claim("node-b"), default)).Runs); // the ring is [node-b]: its job now, on time
    }

    /// <summary>Whether the last of <paramref name="jobs"/> belongs to <paramref name="node"/> in the ring [node-a, node-b].</summary>
    private async Task<bool> OwnedByAsync(string node, List<Job> jobs)
    {
        if (jobs.Count == 0) return false;
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT n FROM unnest(ARRAY['node-a', 'node-b']) AS n ORDER BY hashtext(n || ':' || @id::text), n LIMIT 1", connection);
        cmd.Parameters.AddWithValue("id", jobs[^1].Id);
        return (string?)await cmd.ExecuteScalarAsync() == node;
    }

    [Fact]
    public async Task The_lease_passes_on_as_soon_as_its_holders_presence_ends()
    {
        var a = Open();
        var b = Open();
        var holder = await JoinAsync(a, "node-a");
        await JoinAsync(b, "node-b");
        var ttl = TimeSpan.FromMinutes(5);
        Assert.True(await a.TryAcquireLeaseAsync("leader", "node-a", ttl, default));
        Assert.False(await b.TryAcquireLeaseAsync("leader", "node-b", ttl, default));

        await holder.DisposeAsync(); // the process died: its session ended

        await WaitUntilAsync(() => b.TryAcquireLeaseAsync("leader", "node-b", ttl, default));
        Assert.False(await a.TryAcquireLeaseAsync("leader", "node-a", ttl, default));
    }

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
