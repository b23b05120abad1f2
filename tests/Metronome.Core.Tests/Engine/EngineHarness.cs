using System.Collections.Concurrent;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Catalog;
using Metronome.Core.Engine;
using Metronome.Core.Events;
using Metronome.Core.Execution;
using Metronome.Core.Hosting;
using Metronome.Core.Jobs;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Core.Tests.Engine;

/// <summary>A real engine on a real SQLite file, driven by a <see cref="FakeTimeProvider"/>; the executor records what it is asked to do.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public required FakeTimeProvider Time { get; init; }
    public required string DatabasePath { get; init; }
    public required SqliteJobStore Store { get; init; }
    public required MetronomeEngine Engine { get; init; }
    public required ServiceProvider Services { get; init; }
    public IEngineSignal Signal => Services.GetRequiredService<IEngineSignal>();
    public required JobService Jobs { get; init; }
    public required RecordingExecutor Executor { get; init; }
    public EngineProbe Probe => Engine.Probe;
    public required LogLines Logs { get; init; }

    public static async Task<EngineHarness> StartAsync(string? databasePath = null, FakeTimeProvider? time = null, RecordingExecutor? executor = null,
        Action<MetronomeOptions>? configure = null, TimeSpan? shutdownTimeout = null, Func<IJobStore, IJobStore>? wrapStore = null,
        IClusterStore? cluster = null)
    {
        time ??= new FakeTimeProvider(T0);
        var path = databasePath ?? Path.Combine(Path.GetTempPath(), $"metronome-engine-{Guid.NewGuid():N}.db");
        var store = new SqliteJobStore(new SqliteStoreOptions { DatabasePath = path }, time);
        var options = new MetronomeOptions { NodeName = "test-node", ClaimLookahead = TimeSpan.Zero, PruneInterval = TimeSpan.FromDays(1) };
        configure?.Invoke(options);
        executor ??= new RecordingExecutor(time);
        var logs = new LogLines();
        var services = new ServiceCollection()
            .AddLogging(b => b.AddProvider(logs))
            .Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout ?? o.ShutdownTimeout)
            .AddSingleton<TimeProvider>(time).AddSingleton(wrapStore?.Invoke(store) ?? store).AddSingleton<ICatalogStore>(store).AddSingleton<IEventExecutor>(executor);
        if (cluster is not null) // a node of a cluster: presence, heartbeat, leader, rescuer
            services.AddSingleton(cluster).Configure<Core.Engine.Cluster.ClusterOptions>(o => o.PresenceTimeout = TimeSpan.FromSeconds(2));
        services.AddMetronome(o => CopyInto(options, o));
        var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<MetronomeEngine>();
        await engine.StartAsync(CancellationToken.None);
        if (await store.GetProductAsync("shop", CancellationToken.None) is null)
        {
            await store.CreateProductAsync(new ProductRecord { Tag = "shop", Name = "Shop", CreatedAt = time.GetUtcNow(), UpdatedAt = time.GetUtcNow() }, CancellationToken.None);
            await store.CreateEventAsync(new EventRecord { Product = "shop", Type = "action", Tag = "ping", Name = "Ping", DefinitionJson = "{}" }, CancellationToken.None);
        }
        var jobs = provider.GetRequiredService<JobService>();
        return new EngineHarness { Time = time, DatabasePath = path, Store = store, Engine = engine, Services = provider, Jobs = jobs, Executor = executor, Logs = logs };
    }

    private static void CopyInto(MetronomeOptions from, MetronomeOptions to)
    {
        foreach (var property in typeof(MetronomeOptions).GetProperties().Where(p => p.CanWrite)) property.SetValue(to, property.GetValue(from));
    }

    public static ProductJob Job(string tag, long executions, long intervals, Action<ProductJob>? tweak = null)
    {
        var job = new ProductJob { Name = tag, Tag = tag, EventType = JobEventTypes.Action, EventTag = "ping", Executions = executions, Intervals = intervals };
        tweak?.Invoke(job);
        return job;
    }

    /// <summary>Waits (in real time, bounded) until the engine has persisted this many outcomes (the probe's <c>Completed</c> signal).</summary>
    public Task OutcomesAsync(long count) => Probe.WaitForCompletedAsync(count).WaitAsync(Patience);

    /// <summary>Waits (in real time, bounded) until the engine has claimed this many slots (the probe's <c>Claimed</c> signal).</summary>
    public Task ClaimedAsync(long slots) => Probe.WaitForClaimedAsync(slots).WaitAsync(Patience);

    /// <summary>Waits (in real time, bounded) until the engine is idle: nothing due now, held or unwritten.</summary>
    public Task IdleAsync() => Probe.WaitForIdleAsync().WaitAsync(Patience);

    public Task AttemptsAsync(long count) => Probe.WaitForAsync(p => p.AttemptsStarted >= count).WaitAsync(Patience);

    /// <summary>Advances fake time by <paramref name="step"/> and waits until the engine has persisted <paramref name="outcomes"/> outcomes in total.</summary>
    public async Task AdvanceUntilOutcomesAsync(TimeSpan step, long outcomes)
    {
        Time.Advance(step);
        await OutcomesAsync(outcomes);
    }

    public async Task<IReadOnlyList<Runs.Run>> RunsAsync(string tag) =>
        (await Store.ListRunsAsync(new Storage.RunQuery("shop", tag, null, 1000, null), CancellationToken.None)).Items.OrderBy(r => r.Slot).ThenBy(r => r.Id).ToList();

    public async ValueTask DisposeAsync()
    {
        Executor.ReleaseAll();
        await Engine.DisposeAsync();
        await Services.DisposeAsync();
        await Store.DisposeAsync();
    }
}

/// <summary>An <c>action</c> executor that records each attempt; its behaviour per attempt is set by the test.</summary>
internal sealed class RecordingExecutor(TimeProvider time) : IEventExecutor
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<(long Slot, int Attempt, string Key, DateTimeOffset At)> Calls { get; } = new();

    /// <summary>Decides the outcome of a call (null = success); may await the token.</summary>
    public Func<ExecutionContext, CancellationToken, Task<ExecutionOutcome?>>? Behaviour { get; set; }

    public string EventType => "action";

    public void Validate(JsonElement definition, ValidationErrors errors) { }

    public async Task<ExecutionOutcome> ExecuteAsync(ExecutionContext context, CancellationToken ct)
    {
        Calls.Enqueue((context.Slot, context.Attempt, context.IdempotencyKey, time.GetUtcNow()));
        var outcome = Behaviour is null ? null : await Behaviour(context, ct);
        return outcome ?? ExecutionOutcome.Success($$"""{"slot":{{context.Slot}}}""");
    }

    /// <summary>A behaviour that holds the attempt until <see cref="ReleaseAll"/>.</summary>
    public Task<ExecutionOutcome?> Hold() => _release.Task.ContinueWith(_ => (ExecutionOutcome?)null, TaskScheduler.Default);

    public void ReleaseAll() => _release.TrySetResult();
}

/// <summary>The engine's log lines (Information and above), for tests that assert what a stop reports.</summary>
internal sealed class LogLines : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Category(this, categoryName);
    public void Dispose() { }

    private sealed class Category(LogLines owner, string name) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) owner.Lines.Enqueue((logLevel, name, formatter(state, exception)));
        }
    }
}
