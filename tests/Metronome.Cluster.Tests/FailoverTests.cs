using System.Diagnostics;
using Metronome.Testing.Cluster;
using Xunit.Abstractions;

namespace Metronome.Cluster.Tests;

/// <summary>
/// Failure detection by presence (Cluster/README.md, "Presence") on real server processes: the gap a <c>kill -9</c> leaves in
/// jobs firing every 200 ms (target ≤ 3 s, asserted with slack for a noisy shared machine), and a node paused beyond the node
/// timeout that wakes up after its runs were taken over.
/// </summary>
public sealed class FailoverTests(PostgresFixture pg, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const int Jobs = 30;
    private const long Intervals = 200;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    /// <summary>The target is 3 s; a 2-core machine shared with builds and three servers gets double.</summary>
    private static readonly TimeSpan GapLimit = TimeSpan.FromSeconds(6);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_node_killed_with_runs_in_flight_leaves_no_job_silent_for_more_than_a_few_seconds(bool killLeader)
    {
        await using var cluster = await ClusterHarness.StartAsync(pg.Server, nodes: 3);
        await CreateJobsAsync(cluster);
        await WaitSteadyAsync(cluster);

        var leader = await cluster.ScalarAsync<string>("SELECT holder FROM leases WHERE name = 'metronome-leader'");
        var victim = cluster.Nodes.First(n => (n.Name == leader) == killLeader);
        // Kill at a moment when the victim has runs in flight (the target holds each call 30 ms).
        await ClusterHarness.WaitUntilAsync(async () =>
            await cluster.ScalarAsync<long>($"SELECT count(*) FROM runs WHERE node = '{victim.Name}' AND status = 'running'") > 0, Patience);
        victim.KillHard();
        var killedAt = Stopwatch.GetTimestamp();
        var inFlight = await cluster.ScalarAsync<long>($"SELECT count(*) FROM runs WHERE node = '{victim.Name}' AND status = 'running'");
        Assert.True(inFlight > 0, "the kill must catch runs in flight");

        await ClusterHarness.WaitUntilAsync(async () =>
            await cluster.ScalarAsync<long>($"SELECT count(*) FROM runs WHERE node = '{victim.Name}' AND status = 'running'") == 0, Patience);
        var takenOver = Stopwatch.GetElapsedTime(killedAt);
        await Task.Delay(TimeSpan.FromSeconds(6)); // jobs keep firing on the two others
        var (gap, job) = WorstGap(cluster, killedAt - Stopwatch.Frequency, Stopwatch.GetTimestamp());

        output.WriteLine($"killed {victim.Name} ({(killLeader ? "the leader" : "not the leader")}) with {inFlight} runs in flight; " +
            $"its runs were taken over after {takenOver.TotalSeconds:F2} s; worst gap between two executions of a job: {gap.TotalSeconds:F2} s ({job})");
        Assert.True(gap <= GapLimit, $"job {job} fired nothing for {gap.TotalSeconds:F2} s across the kill (target 3 s)");
        Assert.Equal(0L, await cluster.ScalarAsync<long>("SELECT count(*) FROM (SELECT 1 FROM runs WHERE slot > 0 GROUP BY job_id, slot HAVING count(*) > 1) d"));
        Assert.All(cluster.Hits, hit => Assert.InRange(hit.Value, 1, 2)); // a slot in flight at the kill may run twice, never more
        Assert.True(cluster.Hits.Count(h => h.Value == 2) <= inFlight, "only slots held by the victim may run twice");
    }

    [Fact]
    public async Task A_node_paused_beyond_the_node_timeout_fires_nothing_taken_over_when_it_wakes_and_every_job_keeps_firing()
    {
        var timing = new Dictionary<string, string>
        {
            ["METRONOME_HEARTBEAT_MS"] = "1000",
            ["METRONOME_NODE_TIMEOUT_MS"] = "3000",
            ["METRONOME_LEASE_TTL_MS"] = "3000",
        };
        await using var cluster = await ClusterHarness.StartAsync(pg.Server, nodes: 3, timing);
        await CreateJobsAsync(cluster);
        await WaitSteadyAsync(cluster);
        var leader = await cluster.ScalarAsync<string>("SELECT holder FROM leases WHERE name = 'metronome-leader'");
        var victim = cluster.Nodes.First(n => n.Name != leader);
        await ClusterHarness.WaitUntilAsync(async () =>
            await cluster.ScalarAsync<long>($"SELECT count(*) FROM runs WHERE node = '{victim.Name}' AND status = 'running'") > 0, Patience);

        Signal("STOP", victim.Pid);
        var held = (await cluster.RowsAsync($"SELECT job_tag, slot FROM runs WHERE node = '{victim.Name}' AND status = 'running' AND slot > 0"))
            .Select(r => $"shop/{r[0]}/{r[1]}").ToHashSet();
        // Declared dead by the heartbeat backstop (3 s + a heartbeat), its presence session ended and its runs taken over.
        await ClusterHarness.WaitUntilAsync(async () =>
            await cluster.ScalarAsync<bool>($"SELECT lost_at IS NOT NULL FROM nodes WHERE name = '{victim.Name}'") &&
            await cluster.ScalarAsync<long>($"SELECT count(*) FROM runs WHERE node = '{victim.Name}' AND status = 'running'") == 0, Patience);
        await Task.Delay(TimeSpan.FromSeconds(6)); // past the 5 s after which the server ends a transaction the paused node left open
        var wokeAt = Stopwatch.GetTimestamp();
        Signal("CONT", victim.Pid);
        await Task.Delay(TimeSpan.FromSeconds(5));
        var endAt = Stopwatch.GetTimestamp();

        Assert.False(victim.HasExited, victim.Output);
        var lateHits = cluster.Target.Hits.Where(h => h.ReceivedAt > wokeAt && held.Contains(h.Key)).Select(h => h.Key).ToList();
        output.WriteLine($"{held.Count} runs held by {victim.Name} when paused; hits of those slots after it woke: {lateHits.Count}");
        Assert.Empty(lateHits);                                                 // the woken node fired nothing it had held
        Assert.Equal(0L, await cluster.ScalarAsync<long>("SELECT count(*) FROM (SELECT 1 FROM runs WHERE slot > 0 GROUP BY job_id, slot HAVING count(*) > 1) d"));
        Assert.All(cluster.Hits, hit => Assert.InRange(hit.Value, 1, 2));
        // Every job keeps firing, the woken node's share included (it joined again).
        var recent = cluster.Target.Hits.Where(h => h.ReceivedAt > endAt - 2 * Stopwatch.Frequency).Select(h => JobOf(h.Key)).ToHashSet();
        Assert.Equal(Jobs, recent.Count);
        await ClusterHarness.WaitUntilAsync(async () =>
            await cluster.ScalarAsync<bool>($"SELECT lost_at IS NULL FROM nodes WHERE name = '{victim.Name}'"), Patience);
        var woken = await cluster.ScalarAsync<long>($"SELECT count(*) FROM runs WHERE node = '{victim.Name}' AND scheduled_at > (extract(epoch from now()) * 1000)::bigint - 2000");
        output.WriteLine($"{victim.Name} recorded {woken} runs in the last 2 s after it joined again");
    }

    /// <summary>Jobs every 200 ms whose target holds each call 150 ms, so that each node has attempts in flight most of the time.</summary>
    private static Task CreateJobsAsync(ClusterHarness cluster) => cluster.CreateJobsAsync(Jobs, executions: 0, Intervals,
        definition: new { method = "POST", url = $"{cluster.TargetUrl}/hit?delay_ms=150", body = new { slot = "{{run.slot}}" } });

    /// <summary>Waits until every job has fired a few times (the cluster is in its steady state).</summary>
    private static Task WaitSteadyAsync(ClusterHarness cluster) => ClusterHarness.WaitUntilAsync(() =>
        Task.FromResult(cluster.Target.Hits.Select(h => JobOf(h.Key)).Distinct().Count() == Jobs && cluster.Target.Hits.Count >= Jobs * 10), Patience);

    /// <summary>The longest time between two consecutive executions (hits at the target) of any job within the window.</summary>
    private static (TimeSpan Gap, string Job) WorstGap(ClusterHarness cluster, long from, long to)
    {
        var worst = (Gap: TimeSpan.Zero, Job: "");
        foreach (var job in cluster.Target.Hits.GroupBy(h => JobOf(h.Key)))
        {
            var times = job.Select(h => h.ReceivedAt).Order().ToList();
            // The window's edges count as executions: a job silent from before the window to its end shows the whole silence.
            var inWindow = times.Where(t => t >= from && t <= to).Prepend(times.LastOrDefault(t => t < from, from)).Append(to).ToList();
            for (int i = 1; i < inWindow.Count; i++)
            {
                var gap = Stopwatch.GetElapsedTime(inWindow[i - 1], inWindow[i]);
                if (gap > worst.Gap) worst = (gap, job.Key);
            }
        }
        return worst;
    }

    private static string JobOf(string key) => key.Split('/')[1];

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5_000);
        Assert.Equal(0, kill.ExitCode);
    }
}
