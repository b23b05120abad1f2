using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Metronome.Contracts;
using Metronome.Testing.Cluster;
using Xunit.Abstractions;

namespace Metronome.Cluster.Tests;

/// <summary>
/// A key revoked through one node of three real server processes on one PostgreSQL is refused by every node within a
/// second (the catalogue change feed drops each node's cached answer), and a dashboard session made with it ends.
/// </summary>
public sealed class KeyRevocationTests(PostgresFixture pg, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_revoked_key_answers_401_on_every_node_within_a_second_and_its_session_ends()
    {
        await using var cluster = await ClusterHarness.StartAsync(pg.Server, nodes: 3);
        await cluster.CreateProductAsync();
        using var admin = ClusterHarness.Client(cluster.Nodes[0]);
        var key = (await (await admin.PostAsync(Routes.Keys(ClusterHarness.Product), null)).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<ProductKey>(MetronomeJson.Options))!;

        var clients = cluster.Nodes.Select(n => KeyClient(n, key.Key!)).ToList();
        // Every node has the key in its cache before the revocation: the feed, not a cold lookup, must end it.
        foreach (var client in clients)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Routes.Jobs(ClusterHarness.Product))).StatusCode);
        using var anonymous = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = cluster.Nodes[2].BaseAddress };
        var signIn = await anonymous.PostAsJsonAsync(Routes.Session, new SessionRequest { Key = key.Key }, MetronomeJson.Options);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        using var browser = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = cluster.Nodes[1].BaseAddress };
        browser.DefaultRequestHeaders.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(Routes.Jobs(ClusterHarness.Product))).StatusCode);

        var revoke = await admin.DeleteAsync(Routes.Key(ClusterHarness.Product, key.Id!));
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var revokedAt = Stopwatch.StartNew();

        var refusedAfter = await Task.WhenAll(clients.Select(c => RefusedAfterAsync(c, revokedAt)).Append(RefusedAfterAsync(browser, revokedAt)));
        for (int i = 0; i < clients.Count; i++) output.WriteLine($"{cluster.Nodes[i].Name}: key refused {refusedAfter[i].TotalMilliseconds:F0} ms after the 204");
        output.WriteLine($"session on {cluster.Nodes[1].Name}: refused {refusedAfter[^1].TotalMilliseconds:F0} ms after the 204");
        Assert.All(refusedAfter, t => Assert.True(t < Limit, $"refused only after {t.TotalMilliseconds:F0} ms"));

        foreach (var client in clients) client.Dispose();
    }

    /// <summary>Polls until the node answers 401; the time since the revocation's answer when it first did.</summary>
    private static async Task<TimeSpan> RefusedAfterAsync(HttpClient client, Stopwatch since)
    {
        while (since.Elapsed < TimeSpan.FromSeconds(10))
        {
            var status = (await client.GetAsync(Routes.Jobs(ClusterHarness.Product))).StatusCode;
            if (status == HttpStatusCode.Unauthorized) return since.Elapsed;
            Assert.Equal(HttpStatusCode.OK, status);
            await Task.Delay(10);
        }
        return since.Elapsed;
    }

    private static HttpClient KeyClient(Metronome.Testing.ServerProcess node, string key)
    {
        var http = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }
}
