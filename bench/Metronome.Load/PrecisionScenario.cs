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
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Load;

/// <summary>
/// N jobs at one fire per interval each, start times spread evenly over the interval, on a real SQLite file with a
/// no-op executor that records lateness = actual start − scheduled time. The first seconds are warm-up.
/// </summary>
internal static class PrecisionScenario
{
    public static async Task<string> RunAsync(int jobs, long intervalMs, int seconds, SqliteSynchronous sync)
    {
        var time = TimeProvider.System;
        var path = Path.Combine(Path.GetTempPath(), $"metronome-bench-{Guid.NewGuid():N}.db");
        var store = new SqliteJobStore(new SqliteStoreOptions { DatabasePath = path, Synchronous = sync }, time);
        var warmup = TimeSpan.FromSeconds(3);
        var measureFrom = time.GetUtcNow() + TimeSpan.FromSeconds(2) + warmup;
        var recorder = new LatencyRecorder(jobs * (seconds + 10) * (int)Math.Max(1, 1000 / intervalMs));
        var executor = new NoopExecutor(time, recorder, measureFrom);
        var options = new MetronomeOptions { NodeName = "bench", MinIntervalMs = 1 };
        var engine = new MetronomeEngine(store, store, [executor], time, Options.Create(options), NullLogger<MetronomeEngine>.Instance, new EngineProbe());
        await engine.StartAsync(CancellationToken.None);
        var now = time.GetUtcNow();
        await store.CreateProductAsync(new ProductRecord { Tag = "bench", Name = "Bench", CreatedAt = now, UpdatedAt = now }, CancellationToken.None);
        await store.CreateEventAsync(new EventRecord { Product = "bench", Type = "action", Tag = "noop", Name = "Noop", DefinitionJson = "{}", CreatedAt = now, UpdatedAt = now }, CancellationToken.None);
        var service = new JobService(store, store, engine, time, Options.Create(options));
        var start = time.GetUtcNow() + TimeSpan.FromSeconds(2);
        for (int i = 0; i < jobs; i++)
        {
            var at = start + TimeSpan.FromMilliseconds(intervalMs * (double)i / jobs);
            await service.CreateAsync("bench", new ProductJob
            {
                Name = $"j{i}", Tag = $"j{i}", EventType = JobEventTypes.Action, EventTag = "noop", Executions = 0, Intervals = intervalMs,
                StartAt = at.ToString("O"),
            });
        }
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        await Task.Delay(TimeSpan.FromSeconds(2) + warmup + TimeSpan.FromSeconds(seconds));
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        var measured = (time.GetUtcNow() - measureFrom).TotalSeconds;
        await engine.StopAsync(CancellationToken.None);
        await store.DisposeAsync();
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + "*")) File.Delete(f);
        var (p50, p99, max) = recorder.Percentiles();
        double rate = recorder.Count / measured;
        return $"| precision sqlite sync={sync} | {jobs} jobs every {intervalMs} ms | {rate:F0} fires/s | p50 {p50:F2} ms | p99 {p99:F2} ms | max {max:F2} ms | CPU {cpu.TotalSeconds / Math.Max(1, recorder.Count) * 1000 * 1000:F1} ms per 1k fires |";
    }

    private sealed class NoopExecutor(TimeProvider time, LatencyRecorder recorder, DateTimeOffset measureFrom) : IEventExecutor
    {
        public string EventType => "action";

        public void Validate(JsonElement definition, ValidationErrors errors) { }

        public Task<ExecutionOutcome> ExecuteAsync(ExecutionContext context, CancellationToken ct)
        {
            var now = time.GetUtcNow();
            if (context.ScheduledAt >= measureFrom) recorder.Record((now - context.ScheduledAt).TotalMilliseconds);
            return Task.FromResult(ExecutionOutcome.Success());
        }
    }
}
