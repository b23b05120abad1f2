using Metronome.Storage.Postgres;
using Metronome.Testing;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Metronome.Storage.Conformance;

/// <summary>The readiness probe of the PostgreSQL store: migrated, writable, and what it does when the server is gone.</summary>
public sealed class PostgresReadinessTests(PostgresFixture pg) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<PostgresJobStore> _stores = [];
    private string _connectionString = "";
    private string _schema = "";

    public async Task InitializeAsync() => (_connectionString, _schema) = await pg.CreateSchemaAsync();

    public async Task DisposeAsync()
    {
        foreach (var store in _stores) await store.DisposeAsync();
        await pg.DropSchemaAsync(_schema);
    }

    private PostgresJobStore Open(string? connectionString = null)
    {
        var store = new PostgresJobStore(new PostgresStoreOptions { ConnectionString = connectionString ?? _connectionString, UseDatabaseClock = false }, _time);
        _stores.Add(store);
        return store;
    }

    [Fact]
    public async Task A_schema_is_ready_only_once_migrated()
    {
        var store = Open();

        var fresh = await store.CheckReadinessAsync(default);
        await store.MigrateAsync(default);
        var migrated = await store.CheckReadinessAsync(default);

        Assert.False(fresh.IsReady);
        Assert.Contains("not migrated", fresh.Description);
        Assert.True(migrated.IsReady, migrated.Description);
        Assert.Contains("schema version", migrated.Description);
    }

    [Fact]
    public async Task A_database_that_refuses_writes_is_not_ready()
    {
        await Open().MigrateAsync(default);
        // Every transaction of this session read-only, as on a standby: reads work, writes are refused by the server.
        var readOnly = Open(new NpgsqlConnectionStringBuilder(_connectionString) { Options = "-c default_transaction_read_only=on" }.ConnectionString);

        var readiness = await readOnly.CheckReadinessAsync(default);

        Assert.False(readiness.IsReady);
        Assert.StartsWith("read-only", readiness.Description);
        Assert.DoesNotContain("Password", readiness.Description, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_stopped_server_makes_the_probe_throw_and_it_is_ready_again_once_the_server_is_back()
    {
        await using var server = await PostgresServer.StartAsync();
        var store = Open(await server.CreateDatabaseAsync());
        await store.MigrateAsync(default);
        Assert.True((await store.CheckReadinessAsync(default)).IsReady);

        await server.StopProcessAsync();
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => store.CheckReadinessAsync(default));

        await server.StartProcessAsync();
        NpgsqlConnection.ClearAllPools(); // the pool's connections died with the server
        Assert.True((await store.CheckReadinessAsync(default)).IsReady);
    }
}
