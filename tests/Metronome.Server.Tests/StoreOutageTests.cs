using System.Net;
using System.Net.Http.Headers;
using Metronome.Testing;

namespace Metronome.Server.Tests;

/// <summary>While PostgreSQL is down the API answers 503 with <c>Retry-After</c> (a transient failure, not a server bug), and 200 again once it is back.</summary>
public sealed class StoreOutageTests
{
    private const string AdminKey = "store-outage-admin-key-0123456789";

    [Fact]
    public async Task The_api_answers_503_with_retry_after_while_postgres_is_down_and_recovers_when_it_is_back()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync();
        var data = Directory.CreateTempSubdirectory("metronome-outage-").FullName;
        await using var server = await ServerProcess.StartAsync("outage", data, AdminKey, new Dictionary<string, string>
        {
            ["METRONOME_STORE"] = "postgres",
            ["METRONOME_POSTGRES"] = database,
            ["METRONOME_NODE"] = "outage-node",
        });
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/products")).StatusCode);

        await postgres.StopProcessAsync();
        using (var down = await http.GetAsync("/api/products"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), down.Headers.RetryAfter?.Delta);
            Assert.Equal("application/problem+json", down.Content.Headers.ContentType?.MediaType);
            Assert.Contains("retry", await down.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }

        await postgres.StartProcessAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            status = (await http.GetAsync("/api/products")).StatusCode;
            if (status == HttpStatusCode.OK) break;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status); // only ever the transient answer while it comes back
            await Task.Delay(200);
        } while (DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, status);
    }
}
