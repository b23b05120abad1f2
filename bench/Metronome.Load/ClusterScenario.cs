using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Metronome.Contracts;
using Metronome.Testing;
using Npgsql;

namespace Metronome.Load;

/// <summary>
/// (f) Durable fires per second of a cluster: 1 and 3 real server processes (<c>METRONOME_STORE=postgres</c>) on one throwaway
/// PostgreSQL, offered <c>--jobs</c> unlimited jobs every <c>--interval</c> ms of an in-process JavaScript function (no HTTP
/// target, so the store and the engine are what is measured). A fire counts when its outcome is committed within the measured
/// window (read from the database). The default offer (40,000/s) saturates a small machine on purpose; jobs keep the default
/// overlap policy (skip), so a saturated node sheds slots. Three nodes are measured with claims partitioned (the default) and
/// with every node racing for every job (<c>Metronome__Cluster__PartitionClaims=false</c>), the comparison behind
/// Core/Engine/Cluster/README.md. This used to be a test (it asserted machine-dependent outcomes); it is a measurement.
/// </summary>
internal static class ClusterScenario
{
    private const string AdminKey = "bench-cluster-admin-key-0123456789";

    public static async Task RunAsync(Workload w, RunReport report)
    {
        int jobs = w.Int("jobs", 4000), interval = w.Int("interval", 100);
        var workload = $"{jobs} jobs every {interval} ms, JavaScript function (offered {jobs * 1000.0 / interval:F0}/s)";
        PostgresServer? pg = null;
        try
        {
            pg = await PostgresServer.StartAsync();
            // --nodes=N measures N nodes (claims partitioned) only; by default the three configurations of the comparison.
            var configs = w.Has("nodes") ? [(w.Int("nodes", 1), true)] : new[] { (1, true), (3, true), (3, false) };
            foreach (var (nodes, partitioned) in configs)
            {
                var system = $"Metronome cluster, {nodes} node(s){(nodes > 1 ? partitioned ? ", claims partitioned" : ", every node claims every job" : "")}";
                try
                {
                    report.Rows.Add(await MeasureAsync(pg, w, nodes, partitioned, jobs, interval, system, workload));
                }
                catch (Exception e)
                {
                    report.Rows.Add(new ResultRow("cluster", "cluster postgres", system, workload, new Dictionary<string, double>(), ResultRow.Failed, e.Message));
                }
            }
        }
        catch (Exception e)
        {
            report.Rows.Add(ResultRow.Unavailable("cluster", "cluster postgres", "Metronome cluster", workload, $"PostgreSQL could not start: {e.Message}"));
        }
        finally
        {
            if (pg is not null) await pg.DisposeAsync();
        }
    }

    private static async Task<ResultRow> MeasureAsync(PostgresServer pg, Workload w, int nodes, bool partitioned, int jobs, int interval,
        string system, string workload)
    {
        var connection = await pg.CreateDatabaseAsync();
        var root = Directory.CreateTempSubdirectory("metronome-bench-cluster-").FullName;
        var servers = new List<ServerProcess>();
        try
        {
            var env = new Dictionary<string, string>
            {
                ["METRONOME_STORE"] = "postgres",
                ["METRONOME_POSTGRES"] = connection,
                ["METRONOME_MIN_INTERVAL_MS"] = "1",
                ["Metronome__Cluster__PartitionClaims"] = partitioned ? "true" : "false",
                ["Logging__LogLevel__Default"] = "Warning",
            };
            servers.AddRange(await Task.WhenAll(Enumerable.Range(1, nodes).Select(i =>
                ServerProcess.StartAsync($"node-{i}", Path.Combine(root, $"node-{i}"), AdminKey,
                    new Dictionary<string, string>(env) { ["METRONOME_NODE"] = $"node-{i}" }, TimeSpan.FromSeconds(90)))));
            await CreateJobsAsync(servers, jobs, interval);
            // The warm-up starts once fires commit: each node first starts its JavaScript worker processes.
            var patience = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (await ScalarAsync<long>(connection, "SELECT count(*) FROM runs WHERE status = 'succeeded'") == 0)
            {
                if (DateTime.UtcNow > patience) throw new TimeoutException("no fire committed within 60 s of the jobs' creation");
                await Task.Delay(100);
            }
            await Task.Delay(w.Warmup);
            var from = await ScalarAsync<long>(connection, "SELECT metronome_now_ms()");
            await Task.Delay(w.Duration);
            var to = await ScalarAsync<long>(connection, "SELECT metronome_now_ms()");
            await using var db = new NpgsqlConnection(connection);
            await db.OpenAsync();
            await using var cmd = new NpgsqlCommand($"""
                SELECT count(*) FILTER (WHERE status = 'succeeded'),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY started_at - scheduled_at) FILTER (WHERE status = 'succeeded'),
                       percentile_cont(0.99) WITHIN GROUP (ORDER BY started_at - scheduled_at) FILTER (WHERE status = 'succeeded'),
                       count(DISTINCT node) FILTER (WHERE status = 'succeeded'),
                       count(*) FILTER (WHERE status = 'skipped')
                FROM runs WHERE finished_at >= {from} AND finished_at < {to}
                """, db);
            await using var r = await cmd.ExecuteReaderAsync();
            await r.ReadAsync();
            var seconds = (to - from) / 1000.0;
            var metrics = new Dictionary<string, double>
            {
                [Metric.FiresPerSecond] = r.GetInt64(0) / seconds,
                [Metric.Fires] = r.GetInt64(0),
                [Metric.P50] = r.IsDBNull(1) ? double.NaN : r.GetDouble(1),
                [Metric.P99] = r.IsDBNull(2) ? double.NaN : r.GetDouble(2),
            };
            var firing = r.GetInt64(3);
            var skipped = r.GetInt64(4) / seconds;
            return new ResultRow("cluster", "cluster postgres", system, workload, metrics,
                Note: $"durable (committed) fires; {firing} of {nodes} node(s) firing; {skipped:F0} slots/s skipped (overlap: skip)");
        }
        finally
        {
            foreach (var s in servers) await s.DisposeAsync();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task CreateJobsAsync(List<ServerProcess> servers, int jobs, int interval)
    {
        var clients = servers.Select(s =>
        {
            var http = new HttpClient { BaseAddress = s.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            return http;
        }).ToArray();
        try
        {
            (await clients[0].PostAsJsonAsync(Routes.Products, new Product { Tag = "shop", Name = "Shop" }, MetronomeJson.Options)).EnsureSuccessStatusCode();
            (await clients[0].PostAsJsonAsync(Routes.Events("shop"), new
            {
                type = "function", tag = "hit", name = "Hit",
                definition = new { language = "javascript", code = "function handler(input, context) { return { ok: true }; }" },
            })).EnsureSuccessStatusCode();
            // Bulk creates (1,000 a request), spread over the nodes' APIs.
            var batches = Enumerable.Range(0, jobs).Chunk(1000).ToList();
            for (int b = 0; b < batches.Count; b++)
            {
                var items = batches[b].Select(i => new ProductJob
                {
                    Name = $"Load {i}", Tag = $"load-{i:D5}", EventType = JobEventTypes.Function, EventTag = "hit",
                    Executions = 0, Intervals = interval, StartAt = "now",
                });
                using var response = await clients[b % clients.Length].PostAsJsonAsync(Routes.Jobs("shop") + ":bulk", new { items }, MetronomeJson.Options);
                response.EnsureSuccessStatusCode();
            }
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    private static async Task<T> ScalarAsync<T>(string connection, string sql)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, db);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
