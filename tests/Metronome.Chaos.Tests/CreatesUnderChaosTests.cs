using Metronome.Testing.Cluster;
using Xunit.Abstractions;

namespace Metronome.Chaos.Tests;

/// <summary>
/// Jobs created through the API while nodes die and freeze and the database restarts: a create answered 201 is never lost,
/// and each of those jobs runs its executions exactly (every scenario checks this too, at a lower rate of creates).
/// </summary>
public sealed class CreatesUnderChaosTests(PostgresFixture pg, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Every_create_acknowledged_during_the_chaos_exists_and_runs_exactly()
    {
        await using var chaos = await ChaosCluster.StartAsync(pg.Server, output, LoadShape.Spanning(6));

        await chaos.UnderChaosAsync("creates under kill -9, SIGSTOP, pg_terminate_backend, pg_ctl restart", async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            chaos.Cluster.Kill("node-2");
            chaos.Log("kill -9 of node-2");
            var restart = chaos.Cluster.RestartAsync("node-2");
            chaos.Cluster.Pause("node-3");
            chaos.Log("SIGSTOP of node-3");
            await Task.Delay(TimeSpan.FromSeconds(1));
            chaos.Log($"pg_terminate_backend: {await chaos.Cluster.TerminateNodeConnectionsAsync()} node connections cut");
            await Task.Delay(TimeSpan.FromSeconds(1));
            chaos.Cluster.Resume("node-3");
            chaos.Log("SIGCONT of node-3");
            await chaos.Cluster.RestartPostgresAsync();
            chaos.Log("pg_ctl restart done");
            await restart;
            chaos.Log("node-2 restarted");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }, createEvery: TimeSpan.FromMilliseconds(100));

        Assert.True(chaos.Acknowledged.Count >= 20, $"only {chaos.Acknowledged.Count} creates acknowledged: the check needs some");
        await chaos.CheckInvariantsAsync();
    }
}
