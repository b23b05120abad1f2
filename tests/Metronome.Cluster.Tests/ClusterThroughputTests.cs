using System.Diagnostics;
using System.Net.Http.Json;
using Metronome.Contracts;
using Xunit.Abstractions;

namespace Metronome.Cluster.Tests;

/// <summary>
/// A quick measurement, printed in the test output: durable fires per second (runs claimed, executed and their outcome
/// committed) with 1 and 3 nodes on PostgreSQL, under an offered load of <see cref="Jobs"/> jobs every <see cref="Intervals"/> ms
/// executing an in-process JavaScript function (no HTTP target, so the store and the engine are what is measured). A fire counts
/// when its outcome is committed within the measured window; the offered load (40,000/s) saturates a small machine on purpose,
/// and the default overlap policy (skip) makes a saturated node shed slots rather than queue them. Three nodes are measured with
/// claims partitioned (the default) and racing for every job: the comparison behind the decision in Core/Engine/Cluster/README.md.
/// </summary>
public sealed class ClusterThroughputTests(PostgresFixture pg, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const int Jobs = 4000;
    private const long Intervals = 100;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(8);

    [Theory]
    [InlineData(1, true)]
    [InlineData(3, true)]
    [InlineData(3, false)] // the comparison behind the partitioning decision (Cluster/README.md): every node races for every job
    public async Task Durable_fires_per_second_are_reported(int nodes, bool partitionClaims)
    {
        var env = new Dictionary<string, string> { ["Metronome__Cluster__PartitionClaims"] = partitionClaims ? "true" : "false" };
        await using var cluster = await ClusterHarness.StartAsync(pg.Server, nodes, env);
        await CreateForeverJobsAsync(cluster);

        await Task.Delay(Warmup);
        var from = await cluster.ScalarAsync<long>("SELECT metronome_now_ms()");
        await Task.Delay(Window);
        var to = await cluster.ScalarAsync<long>("SELECT metronome_now_ms()");
        var rows = await cluster.RowsAsync($"""
            SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY started_at - scheduled_at),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY started_at - scheduled_at), count(DISTINCT node)
            FROM runs WHERE status = 'succeeded' AND finished_at >= {from} AND finished_at < {to}
            """);
        var (count, p50, p99, nodesSeen) = ((long)rows[0][0], rows[0][1] as double? ?? 0, rows[0][2] as double? ?? 0, (long)rows[0][3]);
        var offered = Jobs * 1000.0 / Intervals;
        var fires = count / ((to - from) / 1000.0);
        // The jobs keep the default overlap policy (skip): a slot whose previous execution is not yet committed is recorded
        // skipped (so a saturated node sheds load instead of queueing it); the gap to the offered load is skipped + not claimed.
        var skipped = await cluster.ScalarAsync<long>($"SELECT count(*) FROM runs WHERE status = 'skipped' AND finished_at >= {from} AND finished_at < {to}");
        output.WriteLine($"{nodes} node(s), {(partitionClaims ? "claims partitioned" : "every node claims every job")}: {fires:F0} durable fires/s " +
            $"(offered {offered:F0}/s, {skipped / ((to - from) / 1000.0):F0}/s skipped), start lateness p50 {p50:F0} ms, p99 {p99:F0} ms, {nodesSeen} node(s) firing");
        var statuses = await cluster.RowsAsync("SELECT status, count(*) FROM runs GROUP BY 1 ORDER BY 1");
        Assert.True(count > 0, "runs by status: " + string.Join(", ", statuses.Select(r => $"{r[0]}={r[1]}")) + "\n" + cluster.Nodes[0].Output[^Math.Min(3000, cluster.Nodes[0].Output.Length)..]);
        Assert.Equal(nodes, nodesSeen);
        var duplicates = await cluster.ScalarAsync<long>("SELECT count(*) FROM (SELECT job_id, slot FROM runs WHERE slot > 0 GROUP BY 1, 2 HAVING count(*) > 1) d");
        Assert.Equal(0, duplicates);
    }

    private static async Task CreateForeverJobsAsync(ClusterHarness cluster)
    {
        await cluster.CreateJobsAsync(0, 0, Intervals, eventType: "function",
            definition: new { language = "javascript", code = "function handler(input, context) { return { ok: true }; }" });
        var clients = cluster.Nodes.Select(ClusterHarness.Client).ToArray();
        var watch = Stopwatch.StartNew();
        await Parallel.ForAsync(0, Jobs, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            using var response = await clients[i % clients.Length].PostAsJsonAsync(Routes.Jobs("shop"), new ProductJob
            {
                Name = $"Load {i}", Tag = $"load-{i:D4}", EventType = JobEventTypes.Function, EventTag = "hit",
                Executions = 0, Intervals = Intervals, StartAt = "now",
            }, MetronomeJson.Options, ct);
            response.EnsureSuccessStatusCode();
        });
        foreach (var c in clients) c.Dispose();
    }
}
