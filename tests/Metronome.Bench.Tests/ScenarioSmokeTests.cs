using System.Text.Json;
using Metronome.Load;

namespace Metronome.Bench.Tests;

/// <summary>
/// Every load scenario run for a second or two at tiny sizes: each must produce well-formed rows (a known status, the
/// metrics its kind of row promises, finite numbers) and a report that renders as markdown and JSON. No speed is asserted:
/// speed is measured by the harness, never in tests. One class, so the scenarios never run concurrently.
/// </summary>
public sealed class ScenarioSmokeTests
{
    private static Workload Tiny(params string[] args) =>
        Workload.Parse(["--seconds=1", "--warmup=0.5", "--lead=0.3", "--latency_samples=100000", .. args]);

    private static async Task<RunReport> RunAsync(string scenario, Workload workload)
    {
        var report = new RunReport();
        await Scenarios.RunAsync(scenario, workload, report);
        return report;
    }

    [Fact]
    public async Task Saturation_measures_every_system_on_the_same_jobs()
    {
        var report = await RunAsync("saturation", Tiny("--jobs=100", "--interval=100", "--hangfire_jobs=20"));

        Assert.Equal(["Metronome (in-memory store)", "Quartz RAMJobStore", "Hangfire InMemory"], report.Rows.Select(r => r.System));
        Assert.All(report.Rows, r => AssertMeasured(r, Metric.FiresPerSecond, Metric.CpuMsPer1kFires, Metric.BytesPerFire));
        Assert.Contains(report.Ratios(), x => x.Peer == "Quartz RAMJobStore" && x.Metric == Metric.FiresPerSecond);
    }

    [Fact]
    public async Task Precision_records_lateness_of_metronome_on_sqlite_and_of_quartz()
    {
        var report = await RunAsync("precision", Tiny("--jobs=50", "--interval=200", "--jobs_large=200", "--interval_large=500"));

        Assert.Equal(4, report.Rows.Count);
        Assert.All(report.Rows, r => AssertMeasured(r, Metric.FiresPerSecond, Metric.P50, Metric.P99, Metric.Max));
    }

    [Fact]
    public async Task Durable_measures_sqlite_and_postgres_stores()
    {
        var report = await RunAsync("durable", Tiny("--jobs=50", "--interval=100", "--hangfire_jobs=10"));

        var metronomePg = Assert.Single(report.Rows, r => r.System == "Metronome (PostgreSQL)");
        Assert.Equal(ResultRow.Ok, metronomePg.Status);
        AssertMeasured(metronomePg, Metric.FiresPerSecond);
        Assert.All(report.Rows.Where(r => r.Group == "durable sqlite"), r => AssertMeasured(r, Metric.FiresPerSecond, Metric.P99));
        Assert.Equal(3, report.Rows.Count(r => r.Group == "durable sqlite"));
        Assert.All(report.Rows.Where(r => r.Group == "durable postgres" && r.Status == ResultRow.Ok), r => AssertMeasured(r, Metric.FiresPerSecond));
        Assert.DoesNotContain(report.Rows, r => r.Status == ResultRow.Failed);
    }

    [Fact]
    public async Task Cluster_measures_committed_fires_of_server_processes_on_postgres()
    {
        var report = await RunAsync("cluster", Tiny("--jobs=50", "--interval=200", "--nodes=2"));

        var row = Assert.Single(report.Rows);
        Assert.Equal("Metronome cluster, 2 node(s)", row.System);
        AssertMeasured(row, Metric.FiresPerSecond, Metric.P50, Metric.P99);
    }

    [Fact]
    public async Task Overload_measures_fires_node_shares_skips_and_api_latency_of_a_cluster()
    {
        var report = await RunAsync("overload", Tiny("--nodes=2", "--factors=2", "--capacity=20", "--interval=200"));

        var row = Assert.Single(report.Rows); // a fixed capacity: no probe row
        Assert.Equal("Metronome cluster, 2 node(s)", row.System);
        AssertMeasured(row, Metric.FiresPerSecond, Metric.P50, Metric.P99, Metric.ApiP50, Metric.ApiP99, Metric.ApiMax);
        Assert.InRange(row.Metrics["nodes_firing"], 0, 2);
        Assert.True(row.Metrics["skipped_slots"] >= row.Metrics["skipped_rows"]); // a skipped row stands for one slot or more
    }

    [Fact]
    public async Task Scale_reports_memory_per_job_and_load_time()
    {
        var report = await RunAsync("scale", Tiny("--jobs=2000"));

        var row = Assert.Single(report.Rows);
        AssertMeasured(row, Metric.LoadSeconds, Metric.HeapBytesPerJob, Metric.WorkingSetBytesPerJob);
        Assert.Equal(2000, row.Metrics["scheduled_jobs"]);
    }

    [Fact]
    public async Task Api_creates_jobs_over_http_against_the_real_server()
    {
        var report = await RunAsync("api", Tiny("--creates=60", "--clients=2", "--warmup_creates=5"));

        var row = Assert.Single(report.Rows);
        AssertMeasured(row, Metric.CreatesPerSecond);
        Assert.Equal(0, row.Metrics[Metric.Failures]);
    }

    [Fact]
    public async Task Fairness_measures_capacity_noisy_fires_and_the_quiet_tenants_api_latency()
    {
        var report = await RunAsync("fairness", Tiny("--capacity_jobs=5", "--clients=1", "--overload=2"));

        var row = Assert.Single(report.Rows);
        AssertMeasured(row, Metric.FiresPerSecond, Metric.CapacityPerSecond, Metric.ApiP50, Metric.ApiP99, Metric.ApiMax);
        Assert.True(row.Metrics[Metric.ApiRequests] > 0);
    }

    [Fact]
    public void Report_renders_markdown_and_json_with_machine_info_and_ratios()
    {
        var report = new RunReport();
        report.Rows.Add(new ResultRow("saturation", "g", "Metronome (x)", "w", new Dictionary<string, double> { [Metric.FiresPerSecond] = 300, [Metric.BytesPerFire] = 100 }));
        report.Rows.Add(new ResultRow("saturation", "g", "Peer", "w", new Dictionary<string, double> { [Metric.FiresPerSecond] = 100, [Metric.BytesPerFire] = 400 }));
        report.Rows.Add(ResultRow.Unavailable("durable", "h", "Metronome (PostgreSQL)", "w", "not yet"));
        var directory = Path.Combine(Path.GetTempPath(), $"bench-report-{Guid.NewGuid():N}");

        var md = report.Write(directory, "smoke");

        var markdown = File.ReadAllText(md);
        Assert.Contains("| saturation | Metronome (x) | w | 300 |", markdown);
        Assert.Contains("| g | Metronome (x) / Peer | fires_per_s | 3.00× | higher |", markdown);
        Assert.Contains("| g | Metronome (x) / Peer | bytes_alloc_per_fire | 0.25× | lower |", markdown);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "smoke.json")));
        Assert.Equal(Environment.ProcessorCount, json.RootElement.GetProperty("machine").GetProperty("cores").GetInt32());
        Assert.Equal(3, json.RootElement.GetProperty("rows").GetArrayLength());
        Assert.Equal(2, json.RootElement.GetProperty("ratios").GetArrayLength());
        Directory.Delete(directory, recursive: true);
    }

    private static void AssertMeasured(ResultRow row, params string[] metrics)
    {
        Assert.True(row.Status == ResultRow.Ok, $"{row.Scenario} / {row.System}: {row.Status} {row.Note}");
        Assert.False(string.IsNullOrWhiteSpace(row.Workload));
        foreach (var metric in metrics)
        {
            Assert.True(row.Metrics.TryGetValue(metric, out var value), $"{row.System} has no {metric}");
            // Lateness may be negative (a fire before its due instant) and a memory delta may be at tiny sizes; rates may not.
            Assert.True(double.IsFinite(value), $"{row.System}: {metric} = {value}");
            if (metric is Metric.FiresPerSecond or Metric.CreatesPerSecond or Metric.LoadSeconds) Assert.True(value >= 0);
        }
    }
}
