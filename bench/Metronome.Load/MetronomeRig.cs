using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Catalog;
using Metronome.Core.Engine;
using Metronome.Core.Events;
using Metronome.Core.Execution;
using Metronome.Core.Hosting;
using Metronome.Core.Jobs;
using Metronome.Core.Storage;
using Metronome.Storage.InMemory;
using Metronome.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Load;

/// <summary>
/// The embedded engine as a host builds it (<see cref="MetronomeEngine"/> on a store, a no-op executor that reports to a
/// <see cref="FireProbe"/>), with jobs seeded before start so that seeding is never measured.
/// </summary>
internal sealed class MetronomeRig : IAsyncDisposable
{
    public const string Product = "bench";
    private readonly IAsyncDisposable _store;
    private readonly string? _sqlitePath;

    private readonly ServiceProvider _services;

    private MetronomeRig(MetronomeEngine engine, ServiceProvider services, IJobStore jobs, IAsyncDisposable store, string? sqlitePath)
    {
        Engine = engine;
        _services = services;
        Jobs = jobs;
        _store = store;
        _sqlitePath = sqlitePath;
    }

    public MetronomeEngine Engine { get; }
    public IJobStore Jobs { get; }

    public static MetronomeOptions Options() => new() { NodeName = "bench", MinIntervalMs = 1 };

    /// <summary>A job of the bench product: unlimited executions every <paramref name="intervalMs"/>, first due at <paramref name="firstDue"/>.</summary>
    public static Job NewJob(int i, long intervalMs, DateTimeOffset firstDue, DateTimeOffset now) => new()
    {
        Product = Product, Tag = $"j{i}", Name = $"Job {i}", EventType = "action", EventTag = "noop", Executions = 0, IntervalMs = intervalMs,
        InputJson = "{}", Overlap = OverlapPolicy.Allow, Misfire = MisfirePolicy.FireOnce, Retries = RetryPolicy.Default, TimeoutMs = 30_000,
        NextSlot = 1, NextDueAt = firstDue, CreatedAt = now, UpdatedAt = now,
    };

    /// <summary>First due instants spread evenly over one interval, starting <paramref name="lead"/> from now.</summary>
    public static DateTimeOffset FirstDue(DateTimeOffset start, int i, int jobs, long intervalMs) =>
        start + TimeSpan.FromMilliseconds(intervalMs * (double)i / jobs);

    public static async Task<MetronomeRig> InMemoryAsync(int jobs, long intervalMs, TimeSpan lead, FireProbe probe, int finishedRunsPerJob = 16)
    {
        var time = TimeProvider.System;
        var store = new InMemoryJobStore(time, new InMemoryStoreOptions { FinishedRunsPerJob = finishedRunsPerJob });
        await CatalogAsync(store, time);
        var start = time.GetUtcNow() + lead;
        for (int i = 0; i < jobs; i++)
            await store.CreateJobAsync(NewJob(i, intervalMs, FirstDue(start, i, jobs, intervalMs), start), default);
        return await StartAsync(store, store, store, null, probe, Options());
    }

    /// <summary>A fresh SQLite file: schema by the store, jobs by one bulk INSERT transaction (seeding is not measured).</summary>
    public static async Task<MetronomeRig> SqliteAsync(int jobs, long intervalMs, TimeSpan lead, SqliteSynchronous sync, FireProbe probe,
        MetronomeOptions? options = null, Func<int, DateTimeOffset, DateTimeOffset>? firstDue = null)
    {
        var (store, path) = await PrepareSqliteAsync(jobs, intervalMs, lead, sync, firstDue);
        return await StartAsync(store, store, store, path, probe, options ?? Options());
    }

    /// <summary>The store with its jobs seeded, engine not started (the scale scenario measures the start itself).</summary>
    public static async Task<(SqliteJobStore Store, string Path)> PrepareSqliteAsync(int jobs, long intervalMs, TimeSpan lead, SqliteSynchronous sync,
        Func<int, DateTimeOffset, DateTimeOffset>? firstDue = null)
    {
        var time = TimeProvider.System;
        var path = Path.Combine(Path.GetTempPath(), $"metronome-bench-{Guid.NewGuid():N}.db");
        var store = new SqliteJobStore(new SqliteStoreOptions { DatabasePath = path, Synchronous = sync }, time);
        await store.MigrateAsync(default);
        await CatalogAsync(store, time);
        var start = time.GetUtcNow() + lead;
        SeedSqlite(path, jobs, i => NewJob(i, intervalMs, firstDue?.Invoke(i, start) ?? FirstDue(start, i, jobs, intervalMs), start));
        return (store, path);
    }

    private static async Task CatalogAsync(ICatalogStore catalog, TimeProvider time)
    {
        var now = time.GetUtcNow();
        await catalog.CreateProductAsync(new ProductRecord { Tag = Product, Name = "Bench", CreatedAt = now, UpdatedAt = now }, default);
        await catalog.CreateEventAsync(new EventRecord { Product = Product, Type = "action", Tag = "noop", Name = "Noop", DefinitionJson = "{}", CreatedAt = now, UpdatedAt = now }, default);
    }

    public static async Task<MetronomeRig> StartAsync(IJobStore jobs, ICatalogStore catalog, IAsyncDisposable lifetime, string? path, FireProbe probe, MetronomeOptions options)
    {
        var services = new ServiceCollection().AddLogging()
            .AddSingleton(Microsoft.Extensions.Options.Options.Create(options)).AddSingleton(TimeProvider.System)
            .AddSingleton(jobs).AddSingleton(catalog).AddSingleton<IEventExecutor>(new NoopExecutor(probe));
        services.AddMetronome();
        var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<MetronomeEngine>();
        var rig = new MetronomeRig(engine, provider, jobs, lifetime, path);
        await engine.StartAsync(default);
        return rig;
    }

    /// <summary>Writes jobs straight into the store's <c>jobs</c> table (schema 0001) in one transaction.</summary>
    internal static void SeedSqlite(string path, int jobs, Func<int, Job> job)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        using (var pragma = c.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous = OFF";
            pragma.ExecuteNonQuery();
        }
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO jobs (product, tag, name, event_type, event_tag, executions, interval_ms, start_at, end_at, input, overlap, misfire,
                max_attempts, backoff_ms, max_backoff_ms, timeout_ms, status, executions_done, next_slot, next_due_at, in_flight,
                last_run_at, last_run_status, created_at, updated_at)
            VALUES ($p, $tag, $name, 'action', 'noop', 0, $interval, NULL, NULL, '{}', 'allow', 'fire_once', 1, 1000, 60000, 30000,
                'active', 0, 1, $due, 0, NULL, NULL, $now, $now)
            """;
        var p = cmd.Parameters.Add("$p", SqliteType.Text);
        var tag = cmd.Parameters.Add("$tag", SqliteType.Text);
        var name = cmd.Parameters.Add("$name", SqliteType.Text);
        var interval = cmd.Parameters.Add("$interval", SqliteType.Integer);
        var due = cmd.Parameters.Add("$due", SqliteType.Integer);
        var now = cmd.Parameters.Add("$now", SqliteType.Integer);
        cmd.Prepare();
        for (int i = 0; i < jobs; i++)
        {
            var j = job(i);
            p.Value = j.Product;
            tag.Value = j.Tag;
            name.Value = j.Name;
            interval.Value = j.IntervalMs;
            due.Value = j.NextDueAt.ToUnixTimeMilliseconds();
            now.Value = j.CreatedAt.ToUnixTimeMilliseconds();
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        await _services.DisposeAsync();
        await _store.DisposeAsync();
        if (_sqlitePath is not null)
            foreach (var f in Directory.GetFiles(Path.GetDirectoryName(_sqlitePath)!, Path.GetFileName(_sqlitePath) + "*")) File.Delete(f);
    }

    /// <summary>The no-op job body: reports the fire (scheduled time included) and succeeds.</summary>
    private sealed class NoopExecutor(FireProbe probe) : IEventExecutor
    {
        private static readonly Task<ExecutionOutcome> Success = Task.FromResult(ExecutionOutcome.Success());
        public string EventType => "action";
        public void Validate(JsonElement definition, ValidationErrors errors) { }

        public Task<ExecutionOutcome> ExecuteAsync(ExecutionContext context, CancellationToken ct)
        {
            probe.OnFire(context.ScheduledAt, TimeProvider.System.GetUtcNow());
            return Success;
        }
    }
}
