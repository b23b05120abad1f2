using System.Net;
using System.Text.Json;
using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing;

namespace Metronome.Server.Tests;

/// <summary>
/// <c>/livez</c>, <c>/readyz</c> and <c>/healthz</c> on real servers: healthy on SQLite, the store made read-only under a
/// running server (its folder made immutable, which stops root too), and PostgreSQL stopped under a cluster node.
/// </summary>
public sealed class HealthEndpointTests
{
    private const string AdminKey = "health-admin-key-0123456789abcdef";

    /// <summary>Asks <paramref name="path"/> until it answers <paramref name="expected"/> (or 30 s passed); returns the last answer.</summary>
    private static async Task<(HttpStatusCode Status, JsonElement Body)> WaitForAsync(HttpClient http, string path, HttpStatusCode expected,
        Func<JsonElement, bool>? also = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var (status, body) = await GetAsync(http, path);
            if ((status == expected && (also is null || also(body))) || DateTime.UtcNow > deadline) return (status, body);
            await Task.Delay(200);
        }
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static JsonElement Check(JsonElement body, string name) =>
        body.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static string Status(JsonElement body, string check) => Check(body, check).GetProperty("status").GetString()!;

    [Fact]
    public async Task A_healthy_sqlite_server_is_live_and_ready_without_a_key()
    {
        await using var server = await TestServer.StartAsync();

        var (live, liveBody) = await GetAsync(server.Anonymous, "/livez");
        var (ready, readyBody) = await GetAsync(server.Anonymous, "/readyz");
        var (alias, aliasBody) = await GetAsync(server.Anonymous, "/healthz");

        Assert.Equal(HttpStatusCode.OK, live);
        Assert.Equal("healthy", liveBody.GetProperty("status").GetString());
        Assert.Equal(["metronome_engine"], liveBody.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.Equal(["metronome_store", "metronome_cluster"], readyBody.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.StartsWith("writable; schema version", Check(readyBody, "metronome_store").GetProperty("description").GetString());
        Assert.Equal(HttpStatusCode.OK, alias);
        Assert.Equal(readyBody.GetProperty("checks").GetArrayLength(), aliasBody.GetProperty("checks").GetArrayLength());
    }

    [Fact]
    public async Task A_store_made_read_only_under_the_server_makes_it_not_ready_but_still_live()
    {
        await using var server = await TestServer.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(server.Anonymous, "/readyz")).Status);

        (HttpStatusCode Status, JsonElement Body) ready, live, alias;
        using (ImmutableFolder.Hold(server.DataDirectory))
        {
            ready = await WaitForAsync(server.Anonymous, "/readyz", HttpStatusCode.ServiceUnavailable);
            alias = await GetAsync(server.Anonymous, "/healthz");
            live = await GetAsync(server.Anonymous, "/livez");
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
        Assert.Equal("unhealthy", Status(ready.Body, "metronome_store"));
        Assert.StartsWith("read-only", Check(ready.Body, "metronome_store").GetProperty("description").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, alias.Status);
        Assert.Equal(HttpStatusCode.OK, live.Status);
        Assert.Equal(HttpStatusCode.OK, (await WaitForAsync(server.Anonymous, "/readyz", HttpStatusCode.OK)).Status);
    }

    [Fact]
    public async Task Postgres_stopped_under_a_cluster_node_makes_it_not_ready_and_lose_its_presence_but_it_stays_live()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync();
        var data = Directory.CreateTempSubdirectory("metronome-health-").FullName;
        await using var server = await ServerProcess.StartAsync("health", data, AdminKey, new Dictionary<string, string>
        {
            ["METRONOME_STORE"] = "postgres",
            ["METRONOME_POSTGRES"] = database,
            ["METRONOME_NODE"] = "health-node",
        });
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var (before, beforeBody) = await GetAsync(http, "/readyz");
        Assert.Equal(HttpStatusCode.OK, before);
        Assert.Equal("healthy", Status(beforeBody, "metronome_cluster"));

        await postgres.StopProcessAsync();
        var (down, body) = await WaitForAsync(http, "/readyz", HttpStatusCode.ServiceUnavailable, b => Status(b, "metronome_cluster") == "unhealthy");
        var (live, _) = await GetAsync(http, "/livez");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down);
        Assert.Equal("unhealthy", Status(body, "metronome_store"));
        Assert.StartsWith("the store does not answer", Check(body, "metronome_store").GetProperty("description").GetString());
        Assert.Equal("unhealthy", Status(body, "metronome_cluster")); // the presence lapsed: the node claims nothing
        var text = body.GetRawText();
        Assert.DoesNotContain("Password", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Host=", text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, live);

        await postgres.StartProcessAsync();
        var (back, backBody) = await WaitForAsync(http, "/readyz", HttpStatusCode.OK);
        Assert.True(back == HttpStatusCode.OK, backBody.GetRawText());
    }
}
