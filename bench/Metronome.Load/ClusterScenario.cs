using System.Diagnostics;
using Metronome.Contracts;
using Metronome.Testing;
using Npgsql;

namespace Metronome.Load;

/// <summary>
/// (f) Durable fires per second of a cluster: 1 and 3 real server processes (<c>METRONOME_STORE=postgres</c>) on one throwaway
/// PostgreSQL, offered <c>--jobs</c> unlimited jobs every <c>--interval</c> ms of an in-process JavaScript function (no HTTP
/// target, so the store and the engine are what is measured). A fire counts when its outcome is committed within the measured
/// window (read from the database). The default offer (40,000/s) saturates a small machine on purpose; jobs keep the default
/// overlap policy (skip), so a saturated node sheds slots. One and three nodes are measured (claims partitioned by the ring; the
/// racing mode this used to compare with was removed in issue 12, see Core/Engine/Cluster/README.md). This used to be a test (it
/// asserted machine-dependent outcomes); it is a measurement. The <c>overload</c> scenario measures degradation per node count.
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
            // --nodes=N measures N nodes only; by default 1 and 3.
            var configs = w.Has("nodes") ? [w.Int("nodes", 1)] : new[] { 1, 3 };
            foreach (var nodes in configs)
            {
                var system = $"Metronome cluster, {nodes} node(s)";
                try
                {
                    report.Rows.Add(await MeasureAsync(pg, w, nodes, jobs, interval, system, workload));
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

    private static async Task<ResultRow> MeasureAsync(PostgresServer pg, Workload w, int nodes, int jobs, int interval,
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
                ["Logging__LogLevel__Default"] = "Warning",
            };
            servers.AddRange(await Task.WhenAll(Enumerable.Range(1, nodes).Select(i =>
                ServerProcess.StartAsync($"node-{i}", Path.Combine(root, $"node-{i}"), AdminKey,
                    new Dictionary<string, string>(env) { ["METRONOME_NODE"] = $"node-{i}" }, TimeSpan.FromSeconds(90)))));
            var clients = servers.Select(s => ClusterJobs.Client(s.BaseAddress, AdminKey)).ToArray();
            try
            {
                await ClusterJobs.CreateAsync(clients, new
                {
                    type = "function", tag = "hit", name = "Hit",
                    definition = new { language = "javascript", code = "function handler(input, context) { return { ok: true }; }" },
                }, JobEventTypes.Function, jobs, interval);
            }
            finally
            {
                foreach (var c in clients) c.Dispose();
            }
            // The warm-up starts once fires commit: each node first starts its JavaScript worker processes.
            var patience = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (await ClusterJobs.ScalarAsync<long>(connection, "SELECT count(*) FROM runs WHERE status = 'succeeded'") == 0)
            {
                if (DateTime.UtcNow > patience) throw new TimeoutException("no fire committed within 60 s of the jobs' creation");
                await Task.Delay(100);
            }
            await Task.Delay(w.Warmup);
            var from = await ClusterJobs.ScalarAsync<long>(connection, "SELECT metronome_now_ms()");
            await Task.Delay(w.Duration);
            var to = await ClusterJobs.ScalarAsync<long>(connection, "SELECT metronome_now_ms()");
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
            await r.DisposeAsync();
            // Outcomes per node and status in the window: a node that fires nothing shows why (failures, or no runs at all).
            var perNode = new List<string>();
            await using (var byNode = new NpgsqlCommand($"""
                SELECT coalesce(node, '-'), status, count(*) FROM runs WHERE finished_at >= {from} AND finished_at < {to}
                GROUP BY 1, 2 ORDER BY 1, 2
                """, db))
            await using (var rows = await byNode.ExecuteReaderAsync())
                while (await rows.ReadAsync()) perNode.Add($"{rows.GetString(0)} {rows.GetString(1)} {rows.GetInt64(2)}");
            return new ResultRow("cluster", "cluster postgres", system, workload, metrics,
                Note: $"durable (committed) fires; {firing} of {nodes} node(s) firing; {skipped:F0} slots/s skipped (overlap: skip); runs by node: {string.Join(", ", perNode)}");
        }
        finally
        {
            foreach (var s in servers) await s.DisposeAsync();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}
