using System.Diagnostics;
using Metronome.Core.Engine;
using Metronome.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Metronome.Load;

/// <summary>
/// The named scenarios. Each system of a scenario gets the same jobs, interval, no-op body, warm-up and measuring time,
/// one after the other in this process; a system that cannot run here gets a row saying why, never a figure.
/// </summary>
internal static class Scenarios
{
    public static readonly string[] Names = ["saturation", "precision", "durable", "scale", "api", "cluster", "fairness", "overload"];

    public static Task RunAsync(string name, Workload w, RunReport report) => name switch
    {
        "saturation" => SaturationAsync(w, report),
        "precision" => PrecisionAsync(w, report),
        "durable" => DurableAsync(w, report),
        "scale" => ScaleAsync(w, report),
        "api" => w.Has("bulk") ? ApiBulkScenario.RunAsync(w, report) : ApiScenario.RunAsync(w, report),
        "cluster" => ClusterScenario.RunAsync(w, report),
        "fairness" => FairnessScenario.RunAsync(w, report),
        "overload" => OverloadScenario.RunAsync(w, report),
        _ => throw new ArgumentException($"unknown scenario '{name}': use {string.Join(", ", Names)} or all"),
    };

    /// <summary>(a) More interval jobs than the engine can serve, in memory: fires/s, CPU and bytes per fire.</summary>
    private static async Task SaturationAsync(Workload w, RunReport report)
    {
        // Demand (800k fires/s) is far above what either system serves on 2 cores, so fires/s measures capacity, not demand.
        int jobs = w.Int("jobs", 20_000), interval = w.Int("interval", 25), hangfireJobs = w.Int("hangfire_jobs", jobs);
        var lead = TimeSpan.FromSeconds(w.Double("lead", 1));
        var workload = $"{jobs} jobs every {interval} ms (demand {jobs * 1000L / interval}/s)";
        const string group = "saturation in-memory";
        if (w.Runs("metronome"))
            await MeasureAsync(report, "saturation", group, "Metronome (in-memory store)", workload, w, w.Has("lateness"),
                p => Start(MetronomeRig.InMemoryAsync(jobs, interval, lead, p)));
        if (w.Runs("quartz"))
            await MeasureAsync(report, "saturation", group, "Quartz RAMJobStore", workload, w, w.Has("lateness"),
                p => Start(QuartzRig.StartAsync(QuartzRig.Store.Ram, null, jobs, interval, lead, p)));
        if (w.Runs("hangfire"))
            await MeasureAsync(report, "saturation", group, "Hangfire InMemory", $"{hangfireJobs} recurring jobs, cron every 1 s (demand {hangfireJobs}/s)", w, false,
                p => Start(HangfireRig.StartAsync(null, hangfireJobs, p)), "per-second cron is Hangfire's finest interval");
    }

    /// <summary>(b) Lateness at a steady rate: 2,000 jobs at 1/s, and 100,000 jobs spread over 10 s, SQLite FULL vs Quartz RAM.</summary>
    private static async Task PrecisionAsync(Workload w, RunReport report)
    {
        foreach (var (jobs, interval) in new[] { (w.Int("jobs", 2000), w.Int("interval", 1000)), (w.Int("jobs_large", 100_000), w.Int("interval_large", 10_000)) })
        {
            var workload = $"{jobs} jobs every {interval} ms ({jobs * 1000L / interval} fires/s)";
            var group = $"precision {jobs} jobs / {interval} ms";
            var lead = TimeSpan.FromSeconds(w.Double("lead", 2));
            if (w.Runs("metronome"))
                await MeasureAsync(report, "precision", group, "Metronome (SQLite FULL)", workload, w, true,
                    p => Start(MetronomeRig.SqliteAsync(jobs, interval, lead, SqliteSynchronous.Full, p)));
            if (w.Runs("quartz"))
                await MeasureAsync(report, "precision", group, "Quartz RAMJobStore", workload, w, true,
                    p => Start(QuartzRig.StartAsync(QuartzRig.Store.Ram, null, jobs, interval, lead, p, throughputTuned: false)));
        }
    }

    /// <summary>(c) Saturation on durable stores: SQLite FULL / NORMAL, PostgreSQL.</summary>
    private static async Task DurableAsync(Workload w, RunReport report)
    {
        // Demand (200k fires/s) above what the stores serve, so fires/s measures capacity, not demand.
        int jobs = w.Int("jobs", 10_000), interval = w.Int("interval", 50), hangfireJobs = w.Int("hangfire_jobs", Math.Min(jobs, 2000));
        var lead = TimeSpan.FromSeconds(w.Double("lead", 1));
        var workload = $"{jobs} jobs every {interval} ms (demand {jobs * 1000L / interval}/s)";
        if (w.Runs("metronome"))
        {
            await MeasureAsync(report, "durable", "durable sqlite", "Metronome (SQLite FULL)", workload, w, true,
                p => Start(MetronomeRig.SqliteAsync(jobs, interval, lead, SqliteSynchronous.Full, p)));
            await MeasureAsync(report, "durable", "durable sqlite", "Metronome (SQLite NORMAL)", workload, w, true,
                p => Start(MetronomeRig.SqliteAsync(jobs, interval, lead, SqliteSynchronous.Normal, p)));
        }
        if (w.Runs("quartz"))
            await MeasureAsync(report, "durable", "durable sqlite", "Quartz AdoJobStore (SQLite WAL, FULL)", workload, w, true, async p =>
            {
                var path = Path.Combine(Path.GetTempPath(), $"quartz-bench-{Guid.NewGuid():N}.db");
                using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
                {
                    c.Open();
                    using var cmd = c.CreateCommand();
                    cmd.CommandText = "PRAGMA journal_mode = WAL"; // persistent; synchronous stays SQLite's default FULL
                    cmd.ExecuteNonQuery();
                }
                return await QuartzRig.StartAsync(QuartzRig.Store.Sqlite, $"Data Source={path}", jobs, interval, lead, p);
            });

        if (!w.Runs("metronome") && !w.Runs("quartz") && !w.Runs("hangfire")) return;
        var (pg, why) = await Postgres.StartAsync();
        if (pg is null)
        {
            report.Rows.Add(ResultRow.Unavailable("durable", "durable postgres", "Metronome / Quartz / Hangfire (PostgreSQL)", workload, why!));
            return;
        }
        await using (pg)
        {
            if (w.Runs("metronome"))
                await MeasureAsync(report, "durable", "durable postgres", "Metronome (PostgreSQL)", workload, w, true,
                    p => MetronomePostgresRig.StartAsync(pg, jobs, interval, lead, w, p));
            if (w.Runs("quartz"))
                await MeasureAsync(report, "durable", "durable postgres", "Quartz AdoJobStore (PostgreSQL)", workload, w, true,
                    async p => await QuartzRig.StartAsync(QuartzRig.Store.Postgres, await pg.CreateDatabaseAsync("quartz"), jobs, interval, lead, p));
            if (w.Runs("hangfire"))
                await MeasureAsync(report, "durable", "durable postgres", "Hangfire (PostgreSQL)", $"{hangfireJobs} recurring jobs, cron every 1 s (demand {hangfireJobs}/s)", w, false,
                    async p => await HangfireRig.StartAsync(await pg.CreateDatabaseAsync("hangfire"), hangfireJobs, p),
                    "per-second cron is Hangfire's finest interval; fewer jobs because each AddOrUpdate is a transaction");
        }
    }

    /// <summary>(d) Memory per scheduled job in the engine and time to load the schedule at start, 1M jobs on SQLite.</summary>
    private static async Task ScaleAsync(Workload w, RunReport report)
    {
        int jobs = w.Int("jobs", 1_000_000);
        var workload = $"{jobs} jobs on SQLite, none due during the test";
        try
        {
            var seed = Stopwatch.StartNew();
            var (store, path) = await MetronomeRig.PrepareSqliteAsync(jobs, 3_600_000, TimeSpan.FromHours(1), SqliteSynchronous.Full);
            seed.Stop();
            var probe = new FireProbe(16);
            using var process = Process.GetCurrentProcess();
            long heap0 = GC.GetTotalMemory(forceFullCollection: true);
            process.Refresh();
            long ws0 = process.WorkingSet64;
            var sw = Stopwatch.StartNew();
            var rig = await MetronomeRig.StartAsync(store, store, store, path, probe, MetronomeRig.Options());
            sw.Stop();
            long heap1 = GC.GetTotalMemory(forceFullCollection: true);
            process.Refresh();
            long ws1 = process.WorkingSet64;
            int scheduled = rig.Engine.ScheduledJobs;
            GC.KeepAlive(rig);
            await rig.DisposeAsync();
            report.Rows.Add(new ResultRow("scale", "scale", "Metronome (SQLite)", workload, new Dictionary<string, double>
            {
                [Metric.LoadSeconds] = sw.Elapsed.TotalSeconds,
                [Metric.HeapBytesPerJob] = (double)(heap1 - heap0) / jobs,
                [Metric.WorkingSetBytesPerJob] = (double)(ws1 - ws0) / jobs,
                ["scheduled_jobs"] = scheduled,
                ["seed_s"] = seed.Elapsed.TotalSeconds,
            }, Note: "load_s = engine start (recovery + LoadScheduleAsync + due queue); heap after a full GC, minus before"));
        }
        catch (Exception e)
        {
            report.Rows.Add(new ResultRow("scale", "scale", "Metronome (SQLite)", workload, new Dictionary<string, double>(), ResultRow.Failed, e.Message));
        }
    }

    private static async Task<IAsyncDisposable> Start<T>(Task<T> rig) where T : IAsyncDisposable => await rig;

    /// <summary>Starts one system, measures it after the warm-up, stops it; a failure becomes a <c>failed</c> row with the message.</summary>
    private static async Task MeasureAsync(RunReport report, string scenario, string group, string system, string workload, Workload w, bool lateness,
        Func<FireProbe, Task<IAsyncDisposable>> start, string? note = null)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var probe = new FireProbe(w.Int("latency_samples", 4_000_000));
        IAsyncDisposable? rig = null;
        try
        {
            rig = await start(probe);
            using var sampler = w.Has("alloc-profile") ? new AllocationSampler() : null;
            var metrics = await probe.MeasureAsync(w.Warmup, w.Duration, lateness, sampler);
            if (sampler is not null)
                Console.Error.WriteLine($"  allocations of {system} (sampled, top types):{Environment.NewLine}{sampler.Top(25, (long)metrics[Metric.Fires])}");
            report.Rows.Add(new ResultRow(scenario, group, system, workload, metrics, Note: note));
        }
        catch (Exception e)
        {
            report.Rows.Add(new ResultRow(scenario, group, system, workload, new Dictionary<string, double>(), ResultRow.Failed, $"{e.GetType().Name}: {e.Message}"));
        }
        finally
        {
            if (rig is not null)
            {
                try { await rig.DisposeAsync(); }
                catch (Exception e) { Console.Error.WriteLine($"stopping {system} failed: {e.Message}"); }
            }
        }
        Console.Error.WriteLine($"  {scenario} / {system}: done");
    }
}
