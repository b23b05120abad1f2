using Metronome.Testing;
using Metronome.Core;
using Metronome.Core.Catalog;
using Metronome.Core.Runs;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite;
using Metronome.Storage.Sqlite.Internal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Storage.Conformance;

/// <summary>What is specific to SQLite: file layout, pragmas, migrations, run ids and registration.</summary>
public sealed class SqliteStoreTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "metronome-sqlite", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<SqliteJobStore> _stores = [];

    private string PathIn(params string[] parts) => Path.Combine([_directory, .. parts]);

    private SqliteJobStore Open(string path, SqliteSynchronous synchronous = SqliteSynchronous.Full)
    {
        var store = new SqliteJobStore(new SqliteStoreOptions { DatabasePath = path, Synchronous = synchronous }, _time);
        _stores.Add(store);
        return store;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores) await store.DisposeAsync();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Migrate_creates_the_missing_directory_and_a_wal_database()
    {
        var path = PathIn("nested", "deeper", "m.db");
        var store = Open(path);

        await store.MigrateAsync(default);

        Assert.True(File.Exists(path));
        Assert.Equal("wal", await store.ReadWriterPragmaAsync("journal_mode", default));
        Assert.Equal("1", await store.ReadWriterPragmaAsync("foreign_keys", default));
    }

    [Theory]
    [InlineData(SqliteSynchronous.Full, "2")]
    [InlineData(SqliteSynchronous.Normal, "1")]
    public async Task Synchronous_option_sets_the_writer_pragma(SqliteSynchronous synchronous, string expected)
    {
        var store = Open(PathIn("s.db"), synchronous);

        Assert.Equal(expected, await store.ReadWriterPragmaAsync("synchronous", default));
    }

    [Fact]
    public async Task Schema_version_records_every_embedded_migration_once()
    {
        var path = PathIn("v.db");
        var first = Open(path);
        var second = Open(path);

        await Task.WhenAll(first.MigrateAsync(default), second.MigrateAsync(default));
        await first.MigrateAsync(default);

        var migrations = SchemaMigrations.Load(typeof(SqliteJobStore).Assembly);
        Assert.Equal(1, migrations[0].Version);
        Assert.Equal("0001_initial.sql", migrations[0].Name);
        Assert.Equal(migrations[^1].Version, await first.GetSchemaVersionAsync(default));
    }

    [Fact]
    public async Task The_backfill_queue_probe_the_engine_makes_each_second_is_an_index_lookup_not_a_scan_of_runs()
    {
        var path = PathIn("plan.db");
        await Open(path).MigrateAsync(default);

        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN SELECT 1 FROM runs WHERE status = 'running' AND node IS NULL LIMIT 1";
        var plan = new List<string>();
        using (var reader = explain.ExecuteReader())
            while (reader.Read()) plan.Add(reader.GetString(3));

        // runs_running (node) WHERE status = 'running' holds the queued runs too: their node is NULL.
        Assert.Contains(plan, line => line.StartsWith("SEARCH runs USING", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN runs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Migration_2_removes_the_runs_left_behind_by_products_deleted_before_it()
    {
        var path = PathIn("orphans.db");
        var store = Open(path);
        await store.MigrateAsync(default);
        await store.CreateProductAsync(new ProductRecord { Tag = "kept", Name = "Kept", CreatedAt = _time.GetUtcNow(), UpdatedAt = _time.GetUtcNow() }, default);
        await store.DisposeAsync();
        // As a version-1 database looks after a product was deleted: its runs are still there.
        await using (var raw = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            raw.Open();
            using var cmd = raw.CreateCommand();
            cmd.CommandText = """
                DELETE FROM schema_version WHERE version = 2;
                INSERT INTO runs (id, job_id, product, job_tag, slot, attempt, max_attempts, scheduled_at, status)
                VALUES ('0000000000000000000000000000000a', 1, 'gone', 'j', 1, 1, 1, 0, 'succeeded'),
                       ('0000000000000000000000000000000b', 2, 'kept', 'j', 1, 1, 1, 0, 'succeeded');
                """;
            cmd.ExecuteNonQuery();
        }

        var upgraded = Open(path);
        await upgraded.MigrateAsync(default);

        Assert.Null(await upgraded.GetRunAsync("gone", "0000000000000000000000000000000a", default));
        Assert.NotNull(await upgraded.GetRunAsync("kept", "0000000000000000000000000000000b", default));
    }

    [Fact]
    public async Task A_write_after_the_database_file_was_deleted_is_refused_and_stays_refused()
    {
        var path = PathIn("deleted.db");
        var store = Open(path);
        await store.MigrateAsync(default);

        foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
        _time.Advance(TimeSpan.FromSeconds(2)); // past the cached probe

        var product = new ProductRecord { Tag = "lost", Name = "Lost", CreatedAt = _time.GetUtcNow(), UpdatedAt = _time.GetUtcNow() };
        var e = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CreateProductAsync(product, default));
        Assert.Contains("deleted", e.Message);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CheckWritableAsync(default));
        File.WriteAllBytes(path, []);
        _time.Advance(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CreateProductAsync(product, default));
    }

    [Fact]
    public async Task A_read_only_database_file_refuses_writes_until_it_is_writable_again()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = PathIn("ro.db");
        var store = Open(path);
        await store.MigrateAsync(default);
        var product = new ProductRecord { Tag = "p", Name = "P", CreatedAt = _time.GetUtcNow(), UpdatedAt = _time.GetUtcNow() };

        File.SetUnixFileMode(path, UnixFileMode.UserRead);
        _time.Advance(TimeSpan.FromSeconds(2));
        var e = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CreateProductAsync(product, default));
        Assert.StartsWith("read-only", e.Message);

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _time.Advance(TimeSpan.FromSeconds(2));
        await store.CreateProductAsync(product, default);
        await store.CheckWritableAsync(default);
    }

    [Fact]
    public async Task A_store_is_ready_only_once_migrated()
    {
        var store = Open(PathIn("fresh.db"));

        var fresh = await store.CheckReadinessAsync(default);
        await store.MigrateAsync(default);
        var migrated = await store.CheckReadinessAsync(default);

        Assert.False(fresh.IsReady);
        Assert.Contains("not migrated", fresh.Description);
        Assert.True(migrated.IsReady, migrated.Description);
        Assert.Contains("schema version", migrated.Description);
    }

    [Fact]
    public async Task A_database_folder_made_immutable_makes_the_store_not_ready_until_it_is_writable_again()
    {
        var path = PathIn("guarded", "ro.db");
        var store = Open(path);
        await store.MigrateAsync(default);
        Assert.True((await store.CheckReadinessAsync(default)).IsReady);

        StoreReadiness readOnly;
        using (ImmutableFolder.Hold(Path.GetDirectoryName(path)!)) // root cannot create a file in it either
            readOnly = await store.CheckReadinessAsync(default); // no clock advance: the probe looks afresh

        Assert.False(readOnly.IsReady);
        Assert.StartsWith("read-only", readOnly.Description);
        Assert.True((await store.CheckReadinessAsync(default)).IsReady);
    }

    [Fact]
    public void Run_ids_are_version_7_guids_that_increase_within_a_millisecond()
    {
        var ids = new RunIdGenerator(_time);

        var generated = Enumerable.Range(0, 10_000).Select(_ => ids.Next()).ToList();

        Assert.Equal(generated, generated.Order(StringComparer.Ordinal));
        Assert.Equal(generated.Count, generated.Distinct().Count());
        Assert.All(generated.Take(10), id =>
        {
            Assert.Equal(32, id.Length);
            Assert.Equal(7, Guid.ParseExact(id, "N").Version);
        });
        // The first id carries the clock's millisecond, like Guid.CreateVersion7.
        Assert.Equal(Guid.CreateVersion7(_time.GetUtcNow()).ToString("N")[..12], generated[0][..12]);
    }

    [Fact]
    public async Task Disposing_twice_is_safe_and_a_disposed_store_refuses_work()
    {
        var store = Open(PathIn("d.db"));
        await store.MigrateAsync(default);

        await store.DisposeAsync();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.LoadScheduleAsync(default));
    }

    [Fact]
    public async Task AddMetronomeSqlite_registers_one_store_as_both_interfaces_with_the_registered_clock_and_options()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddMetronomeSqlite(PathIn("di.db"), o => o.Synchronous = SqliteSynchronous.Normal);

        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var jobs = provider.GetRequiredService<IJobStore>();
        var catalog = provider.GetRequiredService<ICatalogStore>();

        var store = Assert.IsType<SqliteJobStore>(jobs);
        Assert.Same(jobs, catalog);
        Assert.Same(_time, provider.GetRequiredService<TimeProvider>());
        Assert.Single(services, d => d.ServiceType == typeof(TimeProvider)); // TryAdd kept the host's clock
        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<SqliteStoreOptions>>().Value;
        Assert.Equal(PathIn("di.db"), options.DatabasePath);
        Assert.Equal(SqliteSynchronous.Normal, options.Synchronous);
        await store.MigrateAsync(default);
        Assert.True(File.Exists(PathIn("di.db")));
    }
}
