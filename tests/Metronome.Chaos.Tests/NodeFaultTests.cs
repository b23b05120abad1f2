using Metronome.Testing.Cluster;
using Xunit.Abstractions;

namespace Metronome.Chaos.Tests;

/// <summary>Nodes that die or freeze under load: the cluster loses no execution it owes and records no slot twice.</summary>
public sealed class NodeFaultTests(PostgresFixture pg, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const int Kills = 20;

    [Fact]
    public async Task Twenty_kill_9s_at_random_moments_lose_no_execution_and_record_no_slot_twice()
    {
        var seed = Environment.GetEnvironmentVariable("METRONOME_CHAOS_SEED") is { Length: > 0 } given ? int.Parse(given) : Random.Shared.Next();
        var random = new Random(seed);
        await using var chaos = await ChaosCluster.StartAsync(pg.Server, output, LoadShape.Spanning(30));
        chaos.Log($"seed {seed} (replay with METRONOME_CHAOS_SEED={seed})");

        await chaos.UnderChaosAsync($"{Kills} kill -9", async () =>
        {
            // A killed node is started again under its name at once; it may be killed again once it is up. At least one node
            // stays up, so the load never stops.
            var restarting = new HashSet<string>();
            var restarts = new List<Task>();
            var up = () => { lock (restarting) return chaos.Cluster.Nodes.Select(n => n.Name).Where(n => !restarting.Contains(n)).ToList(); };
            for (int kill = 1; kill <= Kills; kill++)
            {
                await Task.Delay(random.Next(100, 800));
                await ClusterHarness.WaitUntilAsync(() => Task.FromResult(up().Count >= 2), ChaosCluster.Patience);
                var candidates = up();
                var victim = candidates[random.Next(candidates.Count)];
                lock (restarting) restarting.Add(victim);
                chaos.Cluster.Kill(victim);
                chaos.Log($"kill -9 #{kill} of {victim}");
                restarts.Add(RestartAsync(victim));
            }
            await Task.WhenAll(restarts);

            async Task RestartAsync(string name)
            {
                await chaos.Cluster.RestartAsync(name);
                chaos.Log($"{name} restarted");
                lock (restarting) restarting.Remove(name);
            }
        });

        await chaos.CheckInvariantsAsync();
    }

    [Fact]
    public async Task A_node_frozen_beyond_the_node_timeout_then_resumed_loses_no_execution_and_records_no_slot_twice()
    {
        await using var chaos = await ChaosCluster.StartAsync(pg.Server, output, LoadShape.Spanning(12));
        var freeze = ChaosCluster.NodeTimeout + TimeSpan.FromSeconds(3);

        await chaos.UnderChaosAsync("SIGSTOP/SIGCONT", async () =>
        {
            // A follower first, then the leader: its lease expires while it is frozen, and it wakes up believing it leads.
            var leader = await chaos.LeaderAsync();
            var follower = chaos.Cluster.Nodes.First(n => n.Name != leader).Name;
            await FreezeAsync(follower);
            await FreezeAsync(await chaos.LeaderAsync() ?? leader ?? "node-1");
        });

        await chaos.CheckInvariantsAsync();

        async Task FreezeAsync(string name)
        {
            chaos.Cluster.Pause(name);
            chaos.Log($"SIGSTOP of {name} for {freeze.TotalSeconds:F0} s");
            await Task.Delay(freeze);
            chaos.Cluster.Resume(name);
            var takenOver = await chaos.Cluster.ScalarAsync<long>("SELECT count(*) FROM runs WHERE attempt > 1");
            chaos.Log($"SIGCONT of {name}; {takenOver} runs re-run as a later attempt so far");
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }
}
