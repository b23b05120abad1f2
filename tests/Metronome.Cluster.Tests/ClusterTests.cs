using System.Diagnostics;
using Metronome.Testing.Cluster;
using Xunit.Abstractions;

namespace Metronome.Cluster.Tests;

/// <summary>
/// Several real <c>metronome serve</c> processes on one real PostgreSQL. Deadlines are generous (a noisy 2-core machine):
/// the tests assert counts and uniqueness, never timings.
/// </summary>
public sealed class ClusterTests(PostgresFixture pg, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const int Jobs = 50;
    private const int Executions = 20;
    private const long Intervals = 200;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Three_nodes_share_fifty_jobs_and_record_every_slot_exactly_once()
    {
        await using var cluster = await ClusterHarness.StartAsync(pg.Server, nodes: 3);

        await cluster.CreateJobsAsync(Jobs, Executions, Intervals);
        await cluster.WaitAllCompletedAsync(Jobs, Patience);

        await AssertExecutedExactlyAsync(cluster);
        Assert.Equal(Jobs * Executions, cluster.Hits.Count);
        Assert.All(cluster.Hits, hit => Assert.Equal(1, hit.Value));          // no slot executed twice
        var nodes = (await cluster.RowsAsync("SELECT node, count(*) FROM runs GROUP BY node ORDER BY node")).ToDictionary(r => (string)r[0], r => (long)r[1]);
        output.WriteLine("runs per node: " + string.Join(", ", nodes.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Equal(["node-1", "node-2", "node-3"], nodes.Keys);             // every node took part
    }

    [Fact]
    public async Task A_node_killed_mid_run_loses_no_job_and_its_slots_in_flight_rerun_at_most_once()
    {
        await using var cluster = await ClusterHarness.StartAsync(pg.Server, nodes: 3);
        await cluster.CreateJobsAsync(Jobs, Executions, Intervals);
        await ClusterHarness.WaitUntilAsync(() => Task.FromResult(cluster.Hits.Count >= Jobs * Executions / 3), Patience);

        var victim = cluster.Nodes[1];
        victim.KillHard();
        var killedAt = Stopwatch.StartNew();
        var inFlightAtKill = await cluster.ScalarAsync<long>($"SELECT count(*) FROM runs WHERE node = '{victim.Name}' AND status = 'running'");
        Assert.True(cluster.Hits.Count < Jobs * Executions, "the kill must come mid-run");

        await ClusterHarness.WaitUntilAsync(async () =>
            await cluster.ScalarAsync<long>($"SELECT count(*) FROM runs WHERE node = '{victim.Name}' AND status = 'running'") == 0, Patience);
        var recovery = killedAt.Elapsed;
        output.WriteLine($"{inFlightAtKill} runs of {victim.Name} in flight at the kill; taken over after {recovery.TotalSeconds:F1} s (defaults: presence timeout 1 s, heartbeat 5 s, node timeout 20 s)");
        await cluster.WaitAllCompletedAsync(Jobs, Patience);

        await AssertExecutedExactlyAsync(cluster);
        // A slot in flight at the kill may reach the target twice (same idempotency key), never more.
        Assert.All(cluster.Hits, hit => Assert.InRange(hit.Value, 1, 2));
        Assert.True(cluster.Hits.Count(h => h.Value == 2) <= inFlightAtKill, "only slots in flight at the kill may run twice");
        Assert.True(recovery < TimeSpan.FromSeconds(15), $"recovery took {recovery}"); // presence: 1–2 s on a quiet machine
        var rerun = await cluster.ScalarAsync<long>($"SELECT count(*) FROM runs WHERE attempt > 1 AND node <> '{victim.Name}'");
        output.WriteLine($"{rerun} runs re-issued by the rescuer; {cluster.Hits.Count(h => h.Value == 2)} slots reached the target twice");
    }

    [Fact]
    public async Task A_postgres_restart_mid_run_loses_no_job_and_records_no_slot_twice()
    {
        await using var cluster = await ClusterHarness.StartAsync(pg.Server, nodes: 3);
        await cluster.CreateJobsAsync(Jobs, Executions, Intervals);
        await ClusterHarness.WaitUntilAsync(() => Task.FromResult(cluster.Hits.Count >= Jobs * Executions / 3), Patience);

        await pg.Server.RestartAsync();
        Assert.True(cluster.Hits.Count < Jobs * Executions, "the restart must come mid-run");

        await cluster.WaitAllCompletedAsync(Jobs, Patience);
        Assert.All(cluster.Nodes, n => Assert.False(n.HasExited, $"{n.Name} crashed:\n{n.Output}"));
        await AssertExecutedExactlyAsync(cluster);
        Assert.All(cluster.Hits, hit => Assert.InRange(hit.Value, 1, 2));
        output.WriteLine($"{cluster.Hits.Count(h => h.Value == 2)} slots reached the target twice across the restart");
    }

    /// <summary>Exact counts, no slot recorded twice, at most one request per attempt at the target (see <see cref="Invariants"/>).</summary>
    private async Task AssertExecutedExactlyAsync(ClusterHarness cluster)
    {
        var invariants = new Invariants(cluster, output.WriteLine);
        await invariants.FiniteJobsExecutedExactlyAsync(Jobs);
        await invariants.NoSlotRecordedTwiceAsync();
        await invariants.TargetSawEachAttemptAtMostOnceAsync();
    }
}
