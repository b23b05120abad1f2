using System.Diagnostics;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core;
using Metronome.Core.Catalog;
using Metronome.Core.Engine;
using Metronome.Core.Events;
using Metronome.Core.Execution;
using Metronome.Core.Hosting;
using Metronome.Core.Jobs;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres;
using Metronome.Testing;
using Metronome.Testing.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Cluster.Tests;

/// <summary>An engine in a generic host on a PostgreSQL that dies under it: stopping must honour the host's shutdown token.</summary>
public sealed class EngineShutdownTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Stop_returns_within_the_shutdown_token_while_postgres_is_down_and_leaves_unwritten_runs_running()
    {
        await using var pg = await PostgresServer.StartAsync();
        var connectionString = await pg.CreateDatabaseAsync();
        var executor = new GatedExecutor();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddProvider(new OutputLogger(output)).SetMinimumLevel(LogLevel.Information);
        builder.Services.AddSingleton<IEventExecutor>(executor);
        builder.Services.AddMetronome(b => b.UsePostgres(connectionString)).Configure(o => o.NodeName = "stopping-node");
        using var host = builder.Build();
        await host.StartAsync();

        var catalog = host.Services.GetRequiredService<ICatalogStore>();
        var now = DateTimeOffset.UtcNow;
        await catalog.CreateProductAsync(new ProductRecord { Tag = "shop", Name = "Shop", CreatedAt = now, UpdatedAt = now }, default);
        await catalog.CreateEventAsync(new EventRecord { Product = "shop", Type = "action", Tag = "ping", Name = "Ping", DefinitionJson = "{}", CreatedAt = now, UpdatedAt = now }, default);
        var jobs = host.Services.GetRequiredService<JobService>();
        for (int i = 0; i < 10; i++)
            await jobs.CreateAsync("shop", new ProductJob
            {
                Name = $"Job {i}", Tag = $"job-{i}", EventType = JobEventTypes.Action, EventTag = "ping", Executions = 0, Intervals = 100,
                StartAt = "now", Overlap = "allow",
            });
        var probe = host.Services.GetRequiredService<EngineProbe>();
        await probe.WaitForCompletedAsync(20).WaitAsync(TimeSpan.FromSeconds(60)); // the engine works: outcomes reach the database

        executor.Close();                                         // attempts from now on hang until the database is gone
        var started = probe.AttemptsStarted;
        await probe.WaitForAsync(p => p.AttemptsStarted >= started + 5).WaitAsync(TimeSpan.FromSeconds(60));
        await pg.KillAsync();
        executor.Open();                                          // their outcomes queue up: every write fails now
        var writer = host.Services.GetRequiredService<CompletionWriter>();
        await ClusterHarness.WaitUntilAsync(() => Task.FromResult(writer.Pending > 0), TimeSpan.FromSeconds(30));

        using var shutdown = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();
        // A hang guard only: the assertion below is on the measured time.
        await host.StopAsync(shutdown.Token).WaitAsync(TimeSpan.FromSeconds(30));
        clock.Stop();
        output.WriteLine($"StopAsync returned after {clock.Elapsed.TotalSeconds:F2} s, leaving {writer.LeftAtStop} outcomes unwritten");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"StopAsync took {clock.Elapsed}");
        Assert.True(writer.LeftAtStop > 0, "the outcomes queued while PostgreSQL was down were reported as left");

        // The runs it could not record stay running in the database, for recovery to settle at the next start.
        await pg.StartProcessAsync();
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM runs WHERE status = 'running'", connection);
        Assert.True((long)(await count.ExecuteScalarAsync())! >= writer.LeftAtStop);
    }

    private sealed class OutputLogger(ITestOutputHelper output) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try { output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}"); } catch (InvalidOperationException) { }
        }
        public void Dispose() { }
    }

    /// <summary>An <c>action</c> executor that succeeds at once while open and holds every attempt while closed.</summary>
    private sealed class GatedExecutor : IEventExecutor
    {
        private volatile TaskCompletionSource _gate = Opened();

        public string EventType => "action";

        public void Validate(JsonElement definition, ValidationErrors errors) { }

        public async Task<ExecutionOutcome> ExecuteAsync(ExecutionContext context, CancellationToken ct)
        {
            await _gate.Task.WaitAsync(ct);
            return ExecutionOutcome.Success("{}");
        }

        public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _gate.TrySetResult();

        private static TaskCompletionSource Opened()
        {
            var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            open.SetResult();
            return open;
        }
    }
}
