using System.Diagnostics;
using Metronome.Testing.Cluster;
using Xunit.Abstractions;

namespace Metronome.Chaos.Tests;

/// <summary>
/// SIGTERM of a node while it runs a 10 s attempt (SPEC §7 "Shutdown"): the node stops claiming, lets the attempt finish
/// within the host's shutdown timeout (default 30 s) and records it, so nobody runs it again.
/// </summary>
public sealed class GracefulShutdownTests(PostgresFixture pg, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const int RunMs = 10_000;
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30); // the host's default
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Sigterm_with_a_10_s_run_in_flight_lets_it_finish_succeeded_with_one_call_and_exits_within_the_shutdown_timeout()
    {
        await using var chaos = await ChaosCluster.StartAsync(pg.Server, output, LoadShape.Spanning(5), nodes: 2);
        var cluster = chaos.Cluster;
        await cluster.CreateEventAsync("action", "slow", new { method = "POST", url = $"{cluster.TargetUrl}/slow/{RunMs}", timeout_ms = 2 * RunMs });
        var job = ChaosCluster.Job("slow", executions: 1, intervalMs: 100, maxAttempts: 3);
        job.EventTag = "slow";
        job.TimeoutMs = 3 * RunMs;
        Assert.Equal(System.Net.HttpStatusCode.Created, await ClusterHarness.CreateJobAsync(cluster.Nodes[0], job));

        var key = $"{ClusterHarness.Product}/slow/1";
        await ClusterHarness.WaitUntilAsync(() => Task.FromResult(cluster.Hits.ContainsKey(key)), ChaosCluster.Patience);
        var runner = await cluster.ScalarAsync<string>("SELECT node FROM runs WHERE job_tag = 'slow' AND slot = 1");
        var node = cluster.Node(runner);
        node.Terminate();
        var clock = Stopwatch.StartNew();
        chaos.Log($"SIGTERM of {runner} while the 10 s attempt runs there");

        var exited = await node.WaitForExitAsync(ShutdownTimeout + Slack + TimeSpan.FromSeconds(10));
        var exitTime = clock.Elapsed;
        var recorded = await RunAsync(cluster);
        chaos.Log($"{runner} exited: {exited} after {exitTime.TotalSeconds:F1} s (exit code {(exited ? node.ExitCode : -1)}); the run is then {recorded}");

        // Long enough for a run left running to be taken over by the other node (node timeout 3 s) and reach the target again.
        await Task.Delay(ChaosCluster.NodeTimeout + TimeSpan.FromSeconds(4));
        var later = await RunAsync(cluster);
        var calls = cluster.Hits.GetValueOrDefault(key);
        chaos.Log($"{ChaosCluster.NodeTimeout.TotalSeconds + 4:F0} s later the run is {later}; the target saw {calls} call(s)");

        Assert.True(exited && exitTime <= ShutdownTimeout + Slack, $"{runner} exited: {exited} after {exitTime} (shutdown timeout {ShutdownTimeout}):\n{node.Output}");
        Assert.Equal("succeeded/attempt 1", recorded);
        Assert.Equal("succeeded/attempt 1", later);
        Assert.Equal(1, calls);

        await cluster.RestartAsync(runner);
        await chaos.CheckInvariantsAsync();
    }

    private static async Task<string> RunAsync(ClusterHarness cluster)
    {
        var rows = await cluster.RowsAsync("SELECT status, attempt FROM runs WHERE job_tag = 'slow' AND slot = 1");
        return $"{rows[0][0]}/attempt {rows[0][1]}";
    }
}
