using System.Diagnostics;
using System.Globalization;
using Metronome.Contracts;
using Metronome.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Metronome.Load;

/// <summary>
/// (h) Graceful degradation of a cluster (issue 12): 1, 2 and 3 real server processes on one throwaway PostgreSQL, offered
/// 1×, 2× and 10× one node's capacity of unlimited jobs every <c>--interval</c> ms calling an HTTP target in this process
/// (a no-op <c>GET</c>, so the engine and the store are what is measured, not a function pool). The capacity is measured
/// first (one node offered <c>--capacity_jobs</c> jobs, far more than it serves: its committed fires/s), or fixed with
/// <c>--capacity=N</c>. Jobs keep the default overlap policy (skip), so an overloaded node sheds slots.
/// Per configuration: committed (succeeded) fires/s in the window, each node's share of them, lateness p50/p99 of those
/// fires, the skipped rows written against the slots they stand for, and the p99 of API GETs (2 clients, 20 ms apart,
/// round robin over the nodes). Targets: fires at 10× ≥ 80 % of 1×; every live node fires; API p99 ≤ 250 ms.
/// </summary>
internal static class OverloadScenario
{
    private const string AdminKey = "bench-overload-admin-key-0123456789";
    private const string Group = "overload postgres";

    public static async Task RunAsync(Workload w, RunReport report)
    {
        int interval = w.Int("interval", 100);
        var nodeCounts = List(w.String("nodes", "1,2,3"), int.Parse);
        var factors = List(w.String("factors", "1,2,10"), s => double.Parse(s, CultureInfo.InvariantCulture));
        PostgresServer? pg = null;
        WebApplication? target = null;
        try
        {
            pg = await PostgresServer.StartAsync();
            target = await StartTargetAsync();
            var targetUrl = target.Urls.Single();
            double capacity = w.Double("capacity", 0);
            if (capacity <= 0)
            {
                int offered = w.Int("capacity_jobs", 3000);
                var probe = await MeasureAsync(pg, w, targetUrl, 1, offered, interval, $"capacity probe: {offered} jobs every {interval} ms on 1 node");
                report.Rows.Add(probe);
                capacity = probe.Metrics.GetValueOrDefault(Metric.FiresPerSecond);
                if (!(capacity > 0)) throw new InvalidOperationException("the capacity probe committed no fire");
            }
            foreach (var nodes in nodeCounts)
                foreach (var factor in factors)
                {
                    int jobs = Math.Max(1, (int)Math.Round(factor * capacity * interval / 1000));
                    var workload = $"{factor}× capacity ({capacity:F0}/s): {jobs} jobs every {interval} ms, HTTP GET to a local target";
                    report.Rows.Add(await MeasureAsync(pg, w, targetUrl, nodes, jobs, interval, workload));
                }
        }
        catch (Exception e)
        {
            report.Rows.Add(ResultRow.Unavailable("overload", Group, "Metronome cluster", "overload", $"could not run: {e.Message}"));
        }
        finally
        {
            if (target is not null) await target.DisposeAsync();
            if (pg is not null) await pg.DisposeAsync();
        }
    }

    private static List<T> List<T>(string csv, Func<string, T> parse) =>
        csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(parse).ToList();

    /// <summary>A no-op HTTP target (Kestrel on a loopback port) that every node's jobs call.</summary>
    private static async Task<WebApplication> StartTargetAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/hit", () => Results.Ok());
        await app.StartAsync();
        return app;
    }

    private static async Task<ResultRow> MeasureAsync(PostgresServer pg, Workload w, string targetUrl, int nodes, int jobs, int interval, string workload)
    {
        var system = $"Metronome cluster, {nodes} node(s)";
        var connection = await pg.CreateDatabaseAsync();
        var root = Directory.CreateTempSubdirectory("metronome-bench-overload-").FullName;
        var servers = new List<ServerProcess>();
        try
        {
            var env = new Dictionary<string, string>
            {
                ["METRONOME_STORE"] = "postgres",
                ["METRONOME_POSTGRES"] = connection,
                ["METRONOME_MIN_INTERVAL_MS"] = "1",
                ["Logging__LogLevel__Default"] = "Warning",
            };
            foreach (var pair in w.String("server_env", "").Split(';', StringSplitOptions.RemoveEmptyEntries))
                if (pair.Split('=', 2) is [var name, var value]) env[name] = value;
            servers.AddRange(await Task.WhenAll(Enumerable.Range(1, nodes).Select(i =>
                ServerProcess.StartAsync($"node-{i}", Path.Combine(root, $"node-{i}"), AdminKey,
                    new Dictionary<string, string>(env) { ["METRONOME_NODE"] = $"node-{i}" }, TimeSpan.FromSeconds(90)))));
            var clients = servers.Select(s => ClusterJobs.Client(s.BaseAddress, AdminKey)).ToArray();
            try
            {
                await ClusterJobs.CreateAsync(clients, new
                {
                    type = "action", tag = "hit", name = "Hit", definition = new { method = "GET", url = $"{targetUrl}/hit" },
                }, JobEventTypes.Action, jobs, interval);
                var patience = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                while (await ClusterJobs.ScalarAsync<long>(connection, "SELECT count(*) FROM runs WHERE status = 'succeeded'") == 0)
                {
                    if (DateTime.UtcNow > patience) throw new TimeoutException("no fire committed within 60 s of the jobs' creation");
                    await Task.Delay(100);
                }
                await Task.Delay(w.Warmup);
                var from = await ClusterJobs.ScalarAsync<long>(connection, "SELECT metronome_now_ms()");
                var api = await TimeApiAsync(clients, w.Duration);
                var to = await ClusterJobs.ScalarAsync<long>(connection, "SELECT metronome_now_ms()");
                await Task.Delay(TimeSpan.FromSeconds(2)); // outcomes finished in the window are committed a little later
                return await ReportAsync(connection, system, workload, nodes, from, to, api);
            }
            finally
            {
                foreach (var c in clients) c.Dispose();
            }
        }
        catch (Exception e)
        {
            var output = string.Join(" | ", servers.Select(s => $"{s.Name}: {Tail(s.Output)}"));
            return new ResultRow("overload", Group, system, workload, new Dictionary<string, double>(), ResultRow.Failed, $"{e.Message} {output}");
        }
        finally
        {
            foreach (var s in servers) await s.DisposeAsync();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static string Tail(string text) => text.Length > 400 ? text[^400..] : text;

    /// <summary>2 clients GET a job every 20 ms for the window, round robin over the nodes: the API's latency under the load.</summary>
    private static async Task<(LatencyRecorder Latencies, int Failures)> TimeApiAsync(HttpClient[] clients, TimeSpan duration)
    {
        var latencies = new LatencyRecorder(100_000);
        int failures = 0, next = 0;
        var until = DateTime.UtcNow + duration;
        await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            while (DateTime.UtcNow < until)
            {
                var client = clients[Interlocked.Increment(ref next) % clients.Length];
                var watch = Stopwatch.StartNew();
                try
                {
                    using var response = await client.GetAsync(Routes.Job("shop", "load-00000"));
                    if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failures);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref failures);
                }
                latencies.Record(watch.Elapsed.TotalMilliseconds);
                await Task.Delay(20);
            }
        }));
        return (latencies, failures);
    }

    private static async Task<ResultRow> ReportAsync(string connection, string system, string workload, int nodes, long from, long to,
        (LatencyRecorder Latencies, int Failures) api)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        double fires = 0, p50 = double.NaN, p99 = double.NaN, failed = 0;
        await using (var cmd = new NpgsqlCommand($"""
            SELECT count(*) FILTER (WHERE status = 'succeeded'),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY started_at - scheduled_at) FILTER (WHERE status = 'succeeded'),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY started_at - scheduled_at) FILTER (WHERE status = 'succeeded'),
                   count(*) FILTER (WHERE status NOT IN ('succeeded', 'skipped'))
            FROM runs WHERE finished_at >= {from} AND finished_at < {to}
            """, db))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            await r.ReadAsync();
            fires = r.GetInt64(0);
            if (!r.IsDBNull(1)) p50 = r.GetDouble(1);
            if (!r.IsDBNull(2)) p99 = r.GetDouble(2);
            failed = r.GetInt64(3);
        }
        // Each node's share of the window's fires (a node with none is starved).
        var byNode = new Dictionary<string, long>();
        for (int i = 1; i <= nodes; i++) byNode[$"node-{i}"] = 0;
        await using (var cmd = new NpgsqlCommand($"SELECT node, count(*) FROM runs WHERE status = 'succeeded' AND finished_at >= {from} AND finished_at < {to} GROUP BY node", db))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) byNode[r.GetString(0)] = r.GetInt64(1);
        // Skipped rows written since the jobs were created, against the slots they stand for.
        long rows = 0, slots = 0;
        await using (var cmd = new NpgsqlCommand("SELECT count(*), coalesce(sum(skipped_count), 0) FROM runs WHERE status = 'skipped'", db))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            await r.ReadAsync();
            (rows, slots) = (r.GetInt64(0), r.GetInt64(1));
        }
        var seconds = (to - from) / 1000.0;
        var (apiP50, apiP99, apiMax) = api.Latencies.Percentiles();
        var shares = string.Join(" / ", byNode.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{(fires > 0 ? 100.0 * p.Value / fires : 0):F0} %"));
        var metrics = new Dictionary<string, double>
        {
            [Metric.FiresPerSecond] = fires / seconds,
            [Metric.Fires] = fires,
            [Metric.P50] = p50,
            [Metric.P99] = p99,
            [Metric.ApiP50] = apiP50,
            [Metric.ApiP99] = apiP99,
            [Metric.ApiMax] = apiMax,
            [Metric.Failures] = failed,
            ["nodes_firing"] = byNode.Values.Count(n => n > 0),
            ["min_node_share"] = fires > 0 ? byNode.Values.Min() / fires : 0,
            ["skipped_rows"] = rows,
            ["skipped_slots"] = slots,
        };
        return new ResultRow("overload", Group, system, workload, metrics,
            Note: $"committed (succeeded) fires; share per node {shares}; {rows} skipped rows for {slots} skipped slots; API GET p99 {apiP99:F1} ms ({api.Failures} failed)");
    }
}
