using System.Diagnostics;
using System.Text.Json;
using Metronome.Testing.Cluster;
using Xunit.Abstractions;

namespace Metronome.Chaos.Tests;

/// <summary>
/// Catalogue changes made through one node during load reach every node's caches within a second (docs/clustering.md): the
/// change is announced on commit and each node drops what it cached of the product. The load's jobs, created through every
/// node, fire on all three; each request's body names its run, so each request the target receives is traced to its node.
/// </summary>
public sealed class CatalogFeedTests(PostgresFixture pg, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Target = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(2); // the default of METRONOME_CATALOG_CACHE_TTL_MS
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task An_event_edit_and_a_secret_rotation_through_node_A_during_load_are_used_by_every_node_within_a_second()
    {
        await using var chaos = await ChaosCluster.StartAsync(pg.Server, output, LoadShape.Spanning(6));
        var cluster = chaos.Cluster;
        var nodeA = cluster.Nodes[0];

        await chaos.UnderChaosAsync("catalogue edits through node A", async () =>
        {
            // 1. The event is edited through node A to point at /hit/b.
            await cluster.UpdateEventAsync("action", ChaosCluster.EventTag, ChaosCluster.HitDefinition($"{cluster.TargetUrl}/hit/b"), nodeA);
            await AssertEveryNodeSwitchedAsync(chaos, "event edit", Stopwatch.GetTimestamp(), Target,
                stale: h => h.Path.StartsWith("/hit/a", StringComparison.Ordinal), fresh: h => h.Path.StartsWith("/hit/b", StringComparison.Ordinal));

            // 2. The secret the event sends in a header is rotated through node A.
            await cluster.PutSecretAsync("TOKEN", "v2", nodeA);
            await AssertEveryNodeSwitchedAsync(chaos, "secret rotation", Stopwatch.GetTimestamp(), Target,
                stale: h => h.Token == "v1", fresh: h => h.Token == "v2");
        });

        await chaos.CheckInvariantsAsync();
    }

    [Fact]
    public async Task A_change_no_node_is_told_of_is_used_by_every_node_within_the_cache_time_to_live()
    {
        await using var chaos = await ChaosCluster.StartAsync(pg.Server, output, LoadShape.Spanning(6));

        await chaos.UnderChaosAsync("an edit behind Metronome's back", async () =>
        {
            // Written straight into the database: no NOTIFY, so no node hears of it and only the 2 s time to live can bring it in.
            await chaos.Cluster.ScalarAsync<int>($"UPDATE events SET definition = replace(definition, '/hit/a', '/hit/b') WHERE tag = '{ChaosCluster.EventTag}' RETURNING 1");
            await AssertEveryNodeSwitchedAsync(chaos, "unannounced edit", Stopwatch.GetTimestamp(), CacheTtl + Margin,
                stale: h => h.Path.StartsWith("/hit/a", StringComparison.Ordinal), fresh: h => h.Path.StartsWith("/hit/b", StringComparison.Ordinal));
        });

        await chaos.CheckInvariantsAsync();
    }

    /// <summary>
    /// After <paramref name="changedAt"/> (the Stopwatch timestamp of the change's 200 response) and a few more seconds of
    /// firing: no request in the old form arrives later than <paramref name="within"/> after it, and every node has sent the
    /// new form within <paramref name="within"/> of it. Logs the delays per node.
    /// </summary>
    private static async Task AssertEveryNodeSwitchedAsync(ChaosCluster chaos, string change, long changedAt, TimeSpan within,
        Func<Hit, bool> stale, Func<Hit, bool> fresh)
    {
        await Task.Delay(within + TimeSpan.FromSeconds(2));
        var after = chaos.Cluster.Target.Hits.Where(h => h.ReceivedAt > changedAt).ToList();
        var nodes = await NodesOfAsync(chaos.Cluster, after);
        string Report(IEnumerable<Hit> hits, Func<IEnumerable<double>, double> pick) =>
            string.Join(", ", hits.GroupBy(h => nodes.GetValueOrDefault(h, "?")).OrderBy(g => g.Key)
                .Select(g => $"{g.Key}={pick(g.Select(h => Since(changedAt, h).TotalMilliseconds)):F0} ms"));
        chaos.Log($"{change}: last old-form request after the 200, per node: {Report(after.Where(stale), Enumerable.Max)}; none: "
            + string.Join(", ", chaos.Cluster.Nodes.Select(n => n.Name).Where(n => !after.Where(stale).Any(h => nodes.GetValueOrDefault(h) == n))));
        chaos.Log($"{change}: first new-form request after the 200, per node: {Report(after.Where(fresh), Enumerable.Min)}");

        var late = after.Where(stale).Where(h => Since(changedAt, h) > within).ToList();
        Assert.True(late.Count == 0, $"{change}: {late.Count} old-form requests more than {within} after the change, from "
            + string.Join(", ", late.Select(h => nodes.GetValueOrDefault(h, "?")).Distinct()));
        foreach (var node in chaos.Cluster.Nodes)
        {
            var first = after.Where(fresh).Where(h => nodes.GetValueOrDefault(h) == node.Name).Select(h => Since(changedAt, h)).DefaultIfEmpty(TimeSpan.MaxValue).Min();
            Assert.True(first <= within, $"{change}: {node.Name} sent the new form first after {(first == TimeSpan.MaxValue ? "never" : first.ToString())}");
        }
    }

    private static TimeSpan Since(long timestamp, Hit h) => Stopwatch.GetElapsedTime(timestamp, h.ReceivedAt);

    /// <summary>The node that sent each request, from the run id in its body.</summary>
    private static async Task<Dictionary<Hit, string>> NodesOfAsync(ClusterHarness cluster, IReadOnlyList<Hit> hits)
    {
        var runs = (await cluster.RowsAsync("SELECT id, node FROM runs WHERE node IS NOT NULL")).ToDictionary(r => (string)r[0], r => (string)r[1]);
        var nodes = new Dictionary<Hit, string>(ReferenceEqualityComparer.Instance);
        foreach (var h in hits)
            if (JsonDocument.Parse(h.Body).RootElement.GetProperty("run").GetString() is { } run && runs.TryGetValue(run, out var node)) nodes[h] = node;
        return nodes;
    }
}
