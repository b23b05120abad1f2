using System.Diagnostics;
using Metronome.Core.Catalog;
using Metronome.Core.Engine;
using Metronome.Core.Events;
using Metronome.Core.Jobs;
using Metronome.Storage.Postgres;
using Npgsql;

namespace Metronome.Load;

/// <summary>
/// The PostgreSQL the durable scenario runs on: <c>METRONOME_BENCH_PG</c> (a connection string) when set, else a
/// throwaway server started by <c>bench/pg.sh</c> and stopped at the end of the run. Each system gets its own database.
/// </summary>
internal sealed class Postgres : IAsyncDisposable
{
    private readonly string _admin;
    private readonly bool _started;

    private Postgres(string admin, bool started)
    {
        _admin = admin;
        _started = started;
    }

    /// <summary>Null (with the reason) when no PostgreSQL can be had on this machine.</summary>
    public static async Task<(Postgres? Server, string? Why)> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("METRONOME_BENCH_PG") is { Length: > 0 } given) return (new Postgres(given, false), null);
        var script = Path.Combine(AppContext.BaseDirectory, "pg.sh");
        if (!File.Exists(script)) return (null, "bench/pg.sh not found");
        var (code, output) = await RunAsync(script, "start");
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith("Host=", StringComparison.Ordinal));
        return code == 0 && line is not null ? (new Postgres(line.Trim(), true), null) : (null, $"pg.sh start failed ({code}): {output.Trim()}");
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..30];
        await using (var c = new NpgsqlConnection(_admin))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(_admin) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_started) await RunAsync(Path.Combine(AppContext.BaseDirectory, "pg.sh"), "stop");
    }

    private static async Task<(int Code, string Output)> RunAsync(string script, string verb)
    {
        var psi = new ProcessStartInfo("bash", [script, verb]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }
}

/// <summary>
/// Metronome on PostgreSQL for the durable scenario: a <see cref="PostgresJobStore"/> in a fresh database, jobs seeded by one
/// INSERT … SELECT (not measured), the engine as <see cref="MetronomeRig"/> builds it. At stop it reports how many outcomes were
/// committed versus attempts started (a growing gap would mean fires outrun their durable outcome).
/// </summary>
internal static class MetronomePostgresRig
{
    public static async Task<IAsyncDisposable> StartAsync(Postgres pg, int jobs, long intervalMs, TimeSpan lead, Workload w, FireProbe probe)
    {
        var connection = await pg.CreateDatabaseAsync("metronome");
        var time = TimeProvider.System;
        var store = new PostgresJobStore(new PostgresStoreOptions { ConnectionString = connection }, time);
        await store.MigrateAsync(default);
        var now = time.GetUtcNow();
        await store.CreateProductAsync(new ProductRecord { Tag = MetronomeRig.Product, Name = "Bench", CreatedAt = now, UpdatedAt = now }, default);
        await store.CreateEventAsync(new EventRecord
        {
            Product = MetronomeRig.Product, Type = "action", Tag = "noop", Name = "Noop", DefinitionJson = "{}", CreatedAt = now, UpdatedAt = now,
        }, default);
        var start = time.GetUtcNow() + lead;
        await using (var c = new NpgsqlConnection(connection))
        {
            await c.OpenAsync();
            // The same jobs as MetronomeRig.NewJob, first due instants spread evenly over one interval (MetronomeRig.FirstDue).
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO jobs (product, tag, name, event_type, event_tag, executions, interval_ms, start_at, end_at, input, overlap, misfire,
                    max_attempts, backoff_ms, max_backoff_ms, timeout_ms, status, executions_done, next_slot, next_due_at, in_flight,
                    last_run_at, last_run_status, created_at, updated_at)
                SELECT @product, 'j' || i, 'Job ' || i, 'action', 'noop', 0, @interval, NULL, NULL, '{}', 'allow', 'fire_once', @max_attempts,
                    @backoff, @max_backoff, 30000, 'active', 0, 1, @start + (@interval * i::float8 / @jobs)::bigint, 0, NULL, NULL, @start, @start
                FROM generate_series(0, @jobs - 1) AS i
                """, c);
            var retries = RetryPolicy.Default;
            cmd.Parameters.AddWithValue("product", MetronomeRig.Product);
            cmd.Parameters.AddWithValue("interval", intervalMs);
            cmd.Parameters.AddWithValue("max_attempts", retries.MaxAttempts);
            cmd.Parameters.AddWithValue("backoff", retries.BackoffMs);
            cmd.Parameters.AddWithValue("max_backoff", retries.MaxBackoffMs);
            cmd.Parameters.AddWithValue("start", start.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("jobs", jobs);
            await cmd.ExecuteNonQueryAsync();
            await using var analyze = new NpgsqlCommand("ANALYZE jobs", c);
            await analyze.ExecuteNonQueryAsync();
        }
        var rig = await MetronomeRig.StartAsync(store, store, store, null, probe, MetronomeRig.Options());
        return new Running(rig, CommittedPerSecondAsync(rig.Engine.Probe, w.Warmup, w.Duration));
    }

    /// <summary>Outcomes committed per second over the same window as the fires (started together with the probe's warm-up).</summary>
    private static async Task<double> CommittedPerSecondAsync(EngineProbe probe, TimeSpan warmup, TimeSpan duration)
    {
        await Task.Delay(warmup);
        long before = probe.OutcomesPersisted;
        var watch = Stopwatch.StartNew();
        await Task.Delay(duration);
        return (probe.OutcomesPersisted - before) / watch.Elapsed.TotalSeconds;
    }

    private sealed class Running(MetronomeRig rig, Task<double> committed) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            var p = rig.Engine.Probe;
            var rate = committed.IsCompleted ? $"{await committed:F0} outcomes committed/s in the window; " : "";
            Console.Error.WriteLine($"  Metronome (PostgreSQL): {rate}{p.AttemptsStarted} attempts started, {p.OutcomesPersisted} outcomes committed before stop");
            await rig.DisposeAsync();
        }
    }
}
