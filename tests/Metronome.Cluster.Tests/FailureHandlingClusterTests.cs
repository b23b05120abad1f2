using System.Net.Http.Json;
using Metronome.Contracts;
using Metronome.Testing.Cluster;

namespace Metronome.Cluster.Tests;

/// <summary>
/// Failure handling across two server processes on one PostgreSQL (issue 14): the leader runs each failed slot's
/// <c>on_failure</c> hook exactly once, the automatic pause holds on every node, and a job paused with <c>until</c> through a
/// node that does not lead is resumed by the leader.
/// </summary>
public sealed class FailureHandlingClusterTests(PostgresFixture pg) : IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Each_failed_slot_gets_one_hook_cluster_wide_and_the_leader_resumes_a_job_paused_until()
    {
        await using var cluster = await ClusterHarness.StartAsync(pg.Server, nodes: 2);
        await cluster.CreateProductAsync();
        await cluster.CreateEventAsync("action", "down", new { method = "POST", url = "http://127.0.0.1:9/down" });
        await cluster.CreateEventAsync("action", "alert", new
        {
            method = "POST", url = $"{cluster.TargetUrl}/hit/alert", body = new { job = "{{failed.job_tag}}", slot = "{{failed.slot}}" },
        });
        await cluster.CreateEventAsync("action", "ok", new { method = "POST", url = $"{cluster.TargetUrl}/hit/ok" });
        var nodes = cluster.Nodes;

        var failing = new ProductJob
        {
            Name = "Failing", Tag = "failing", EventType = "action", EventTag = "down", Executions = 0, Intervals = 300, StartAt = "now",
            OnFailure = new JobEventRef { EventType = "action", EventTag = "alert" }, PauseAfterFailures = 4,
        };
        Assert.Equal(System.Net.HttpStatusCode.Created, await ClusterHarness.CreateJobAsync(nodes[1], failing));
        await ClusterHarness.WaitUntilAsync(async () => (await GetJobAsync(nodes[0], "failing")).Status == "paused", Patience, cluster.NodeOutputs);
        await ClusterHarness.WaitUntilAsync(async () => await cluster.ScalarAsync<long>(
            "SELECT count(*) FROM runs WHERE job_tag = 'failing' AND status <> 'skipped' AND on_failure_status IS DISTINCT FROM 'succeeded'") == 0,
            Patience, cluster.NodeOutputs);

        var job = await GetJobAsync(nodes[1], "failing");
        Assert.Equal(("paused", 4), (job.Status, job.ConsecutiveFailures));
        var failedSlots = await cluster.RowsAsync("SELECT slot FROM runs WHERE job_tag = 'failing' AND status = 'failed' ORDER BY slot");
        Assert.Equal(4, failedSlots.Count);
        var alerts = cluster.Target.Hits.Where(h => h.Path.EndsWith("/alert", StringComparison.Ordinal)).ToList();
        Assert.Equal(failedSlots.Select(r => $"shop/failing/{r[0]}/on_failure").Order(), alerts.Select(a => a.Key).Order());

        var napper = new ProductJob { Name = "Napper", Tag = "napper", EventType = "action", EventTag = "ok", Executions = 0, Intervals = 200, StartAt = "now" };
        Assert.Equal(System.Net.HttpStatusCode.Created, await ClusterHarness.CreateJobAsync(nodes[0], napper));
        var leader = await cluster.ScalarAsync<string>("SELECT holder FROM leases WHERE name = 'metronome-leader'");
        var follower = nodes.First(n => n.Name != leader);
        var until = DateTimeOffset.UtcNow.AddSeconds(2);
        using (var http = ClusterHarness.Client(follower))
        using (var response = await http.PostAsJsonAsync(Routes.Job(ClusterHarness.Product, "napper") + "/pause", new JobPauseRequest { Until = until }, MetronomeJson.Options))
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var pausedHits = cluster.Target.Hits.Count(h => h.Path.EndsWith("/ok", StringComparison.Ordinal));

        await ClusterHarness.WaitUntilAsync(async () => (await GetJobAsync(follower, "napper")).Status == "active", TimeSpan.FromSeconds(15), cluster.NodeOutputs);
        var resumed = await GetJobAsync(follower, "napper");
        Assert.Null(resumed.PausedUntil);
        Assert.InRange(resumed.UpdatedAt!.Value, until, until.AddSeconds(2));
        await ClusterHarness.WaitUntilAsync(() => Task.FromResult(cluster.Target.Hits.Count(h => h.Path.EndsWith("/ok", StringComparison.Ordinal)) > pausedHits + 2),
            Patience, cluster.NodeOutputs);
    }

    private static async Task<ProductJob> GetJobAsync(Metronome.Testing.ServerProcess node, string tag)
    {
        using var http = ClusterHarness.Client(node);
        return (await http.GetFromJsonAsync<ProductJob>(Routes.Job(ClusterHarness.Product, tag), MetronomeJson.Options))!;
    }
}
