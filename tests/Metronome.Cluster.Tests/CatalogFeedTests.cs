using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Testing.Peers;
using Xunit.Abstractions;

namespace Metronome.Cluster.Tests;

/// <summary>
/// Catalogue changes made through one node reach every node's caches within a second (docs/clustering.md): the change is
/// announced on commit and each node drops what it cached of the product. Jobs created through node B fire on all three
/// nodes; every attempt's body names its run, so each request the target receives is traced to the node that sent it.
/// </summary>
public sealed class CatalogFeedTests(PostgresFixture pg, ITestOutputHelper output) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private const int Jobs = 6;
    private static readonly TimeSpan Target = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(2); // the default of METRONOME_CATALOG_CACHE_TTL_MS
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly ProviderListener _target = new();

    public Task InitializeAsync() => _target.InitializeAsync();

    public Task DisposeAsync() => _target.DisposeAsync();

    [Fact]
    public async Task An_event_edit_and_a_secret_rotation_through_node_A_are_used_by_every_node_within_a_second()
    {
        var (a1, a2) = (_target.Mount(200, """{"ok":true}"""), _target.Mount(200, """{"ok":true}"""));
        await using var cluster = await StartFiringAsync(a1);
        using var nodeA = ClusterHarness.Client(cluster.Nodes[0]);

        // 1. The event is edited through node A to point at A2.
        var edited = await TimedAsync(() => nodeA.PatchAsJsonAsync(Routes.Event("shop", "action", "hook"), new { definition = Hook(a2) }));
        await AssertEveryNodeSwitchedAsync(cluster, "event edit", edited, Target,
            stale: r => r.Path.StartsWith(Path(a1), StringComparison.Ordinal), fresh: r => r.Path.StartsWith(Path(a2), StringComparison.Ordinal));

        // 2. The secret the event sends in a header is rotated through node A.
        var rotated = await TimedAsync(() => nodeA.PutAsJsonAsync(Routes.Secret("shop", "TOKEN"), new SecretValue { Value = "v2" }, MetronomeJson.Options));
        await AssertEveryNodeSwitchedAsync(cluster, "secret rotation", rotated, Target,
            stale: r => r.Headers.GetValueOrDefault("X-Token") == "v1", fresh: r => r.Headers.GetValueOrDefault("X-Token") == "v2");
    }

    [Fact]
    public async Task A_change_no_node_is_told_of_is_used_by_every_node_within_the_cache_time_to_live()
    {
        var (a1, a2) = (_target.Mount(200, """{"ok":true}"""), _target.Mount(200, """{"ok":true}"""));
        await using var cluster = await StartFiringAsync(a1);

        // Written straight into the database: no NOTIFY, so no node hears of it and only the 2 s time to live can bring it in.
        await cluster.ScalarAsync<int>($"UPDATE events SET definition = replace(definition, '{Path(a1)}', '{Path(a2)}') WHERE product = 'shop' AND tag = 'hook' RETURNING 1");
        var changed = Stopwatch.GetTimestamp();
        await AssertEveryNodeSwitchedAsync(cluster, "unannounced edit", changed, CacheTtl + Margin,
            stale: r => r.Path.StartsWith(Path(a1), StringComparison.Ordinal), fresh: r => r.Path.StartsWith(Path(a2), StringComparison.Ordinal));
    }

    /// <summary>
    /// Three nodes; product <c>shop</c> with secret <c>TOKEN</c> = v1 and event <c>action/hook</c> (to <paramref name="url"/>)
    /// created through node A; <see cref="Jobs"/> jobs every 100 ms created through node B. Returns once every node has fired
    /// (and so has the event and the secret cached).
    /// </summary>
    private async Task<ClusterHarness> StartFiringAsync(string url)
    {
        var cluster = await ClusterHarness.StartAsync(pg.Server, nodes: 3);
        try
        {
            await CreateFiringJobsAsync(cluster, url);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task CreateFiringJobsAsync(ClusterHarness cluster, string url)
    {
        using var nodeA = ClusterHarness.Client(cluster.Nodes[0]);
        using var nodeB = ClusterHarness.Client(cluster.Nodes[1]);
        await Ok(nodeA.PostAsJsonAsync(Routes.Products, new Product { Tag = "shop", Name = "Shop" }, MetronomeJson.Options));
        await Ok(nodeA.PutAsJsonAsync(Routes.Secret("shop", "TOKEN"), new SecretValue { Value = "v1" }, MetronomeJson.Options));
        await Ok(nodeA.PostAsJsonAsync(Routes.Events("shop"), new { type = "action", tag = "hook", name = "Hook", definition = Hook(url) }));
        for (int i = 0; i < Jobs; i++)
            await Ok(nodeB.PostAsJsonAsync(Routes.Jobs("shop"), new ProductJob
            {
                Name = $"Job {i}", Tag = $"job-{i}", EventType = JobEventTypes.Action, EventTag = "hook",
                Executions = 100_000, Intervals = 100, StartAt = "now",
            }, MetronomeJson.Options));
        await ClusterHarness.WaitUntilAsync(async () => (await NodesOfAsync(cluster, _target.RequestsUnder(url))).Values.Distinct().Count() == 3, Patience,
            () => $"{_target.RequestsUnder(url).Count} requests; runs per node and status: " + string.Join(", ", cluster.RowsAsync(
                "SELECT node, status, count(*) FROM runs GROUP BY 1, 2 ORDER BY 1, 2").GetAwaiter().GetResult().Select(r => $"{r[0]}/{r[1]}={r[2]}")));
    }

    private static object Hook(string url) =>
        new { method = "POST", url = url + "/hook", headers = new Dictionary<string, string> { ["X-Token"] = "{{secrets.TOKEN}}" }, body = new { run = "{{run.id}}" } };

    private static string Path(string mountUrl) => new Uri(mountUrl).AbsolutePath + "/";

    /// <summary>
    /// After <paramref name="changedAt"/> (the Stopwatch timestamp of the change's 200 response) and a few more seconds of
    /// firing: no request in the old form arrives later than <paramref name="within"/> after it, and every node has sent the
    /// new form within <paramref name="within"/> of it. Prints the delays per node.
    /// </summary>
    private async Task AssertEveryNodeSwitchedAsync(ClusterHarness cluster, string change, long changedAt, TimeSpan within,
        Func<ProviderRequest, bool> stale, Func<ProviderRequest, bool> fresh)
    {
        await Task.Delay(within + TimeSpan.FromSeconds(2));
        var after = _target.RequestsUnder(_target.BaseUrl + "/t").Where(r => r.ReceivedAt > changedAt).ToList();
        var nodes = await NodesOfAsync(cluster, after);
        string Report(IEnumerable<ProviderRequest> requests, Func<IEnumerable<double>, double> pick) =>
            string.Join(", ", requests.GroupBy(r => nodes.GetValueOrDefault(r, "?")).OrderBy(g => g.Key)
                .Select(g => $"{g.Key}={pick(g.Select(r => Since(changedAt, r).TotalMilliseconds)):F0} ms"));
        output.WriteLine($"{change}: last old-form request after the 200, per node: {Report(after.Where(stale), Enumerable.Max)}; none: "
            + string.Join(", ", cluster.Nodes.Select(n => n.Name).Where(n => !after.Where(stale).Any(r => nodes.GetValueOrDefault(r) == n))));
        output.WriteLine($"{change}: first new-form request after the 200, per node: {Report(after.Where(fresh), Enumerable.Min)}");

        var late = after.Where(stale).Where(r => Since(changedAt, r) > within).ToList();
        Assert.True(late.Count == 0, $"{change}: {late.Count} old-form requests more than {within} after the change, from "
            + string.Join(", ", late.Select(r => nodes.GetValueOrDefault(r, "?")).Distinct()));
        foreach (var node in cluster.Nodes)
        {
            var first = after.Where(fresh).Where(r => nodes.GetValueOrDefault(r) == node.Name).Select(r => Since(changedAt, r)).DefaultIfEmpty(TimeSpan.MaxValue).Min();
            Assert.True(first <= within, $"{change}: {node.Name} sent the new form first after {(first == TimeSpan.MaxValue ? "never" : first.ToString())}");
        }
    }

    private static TimeSpan Since(long timestamp, ProviderRequest r) => Stopwatch.GetElapsedTime(timestamp, r.ReceivedAt);

    /// <summary>The node that sent each request, from the run id in its body.</summary>
    private static async Task<Dictionary<ProviderRequest, string>> NodesOfAsync(ClusterHarness cluster, IReadOnlyList<ProviderRequest> requests)
    {
        var runs = (await cluster.RowsAsync("SELECT id, node FROM runs WHERE node IS NOT NULL")).ToDictionary(r => (string)r[0], r => (string)r[1]);
        var nodes = new Dictionary<ProviderRequest, string>(ReferenceEqualityComparer.Instance);
        foreach (var r in requests)
            if (JsonDocument.Parse(r.Body).RootElement.GetProperty("run").GetString() is { } run && runs.TryGetValue(run, out var node)) nodes[r] = node;
        return nodes;
    }

    private static async Task<long> TimedAsync(Func<Task<HttpResponseMessage>> call)
    {
        await Ok(call());
        return Stopwatch.GetTimestamp();
    }

    private static async Task Ok(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
