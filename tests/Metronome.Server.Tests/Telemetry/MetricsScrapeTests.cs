using System.Net.Http.Headers;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing;

namespace Metronome.Server.Tests.Telemetry;

/// <summary>
/// Every SPEC §7 instrument in a scrape of <c>/metrics</c> after real runs of real server processes (SQLite, then a PostgreSQL
/// cluster). Processes, not in-process servers: OpenTelemetry's meter provider collects every meter named <c>Metronome</c> in
/// its process, so servers sharing the test process would add up in each other's scrapes.
/// </summary>
public sealed class MetricsScrapeTests
{
    private const string AdminKey = "metrics-scrape-admin-key-0123456789";

    [Fact]
    public async Task After_real_runs_the_scrape_has_every_instrument_with_the_counts_of_those_runs()
    {
        await using var target = await TargetListener.StartAsync();
        await using var server = await ServerProcess.StartAsync("metrics", Directory.CreateTempSubdirectory("metronome-metrics-").FullName, AdminKey);
        using var admin = Admin(server);
        var product = await CreateProductAsync(admin);
        var ok = await admin.CreateActionEventAsync(product, target.Url);
        var refused = await admin.CreateActionEventAsync(product, new Uri($"http://127.0.0.1:{FreePort.Next()}/closed"));
        var slow = await admin.CreateActionEventAsync(product, new Uri(target.Url, "/hook?delay_ms=3000"));
        await admin.CreateJobAsync(product, TestApi.Job(ok.Tag!, "ok", executions: 3, intervals: 500));
        await admin.CreateJobAsync(product, TestApi.Job(refused.Tag!, "refused", executions: 1, intervals: 200));
        await admin.CreateJobAsync(product, TestApi.Job(ok.Tag!, "later", executions: 0, intervals: 3_600_000));
        await FinishedAsync(admin, product, "ok", 3);
        await FinishedAsync(admin, product, "refused", 1);

        // The last outcome may be written a moment after the run is listed as finished.
        var scrape = await TestApi.EventuallyAsync(() => ScrapeAsync(server.BaseAddress),
            s => s.Values("metronome_run_duration_seconds_count", ("event_type", "action")).FirstOrDefault() == 4);
        (string, string)[] action = [("product", product), ("event_type", "action")];
        Assert.Equal(3, scrape.Single("metronome_runs_total", [.. action, ("status", "succeeded")]));
        Assert.Equal(1, scrape.Single("metronome_runs_total", [.. action, ("status", "failed")]));
        Assert.Equal(4, scrape.Single("metronome_run_lateness_seconds_count", ("event_type", "action")));
        Assert.Equal(4, scrape.Single("metronome_run_duration_seconds_count", ("event_type", "action")));
        Assert.True(scrape.Values("metronome_run_lateness_seconds_bucket").Count > 1, "lateness buckets");
        Assert.Equal(4, scrape.Single("metronome_run_lateness_seconds_bucket", ("event_type", "action"), ("le", "+Inf")));
        Assert.InRange(scrape.Single("metronome_run_lateness_seconds_sum", ("event_type", "action")), -4, 4); // each start within a second of due
        Assert.True(scrape.Single("metronome_claim_duration_seconds_count") >= 1);
        Assert.True(scrape.Single("metronome_store_commit_duration_seconds_count") >= 1);
        Assert.Equal(1, scrape.Single("metronome_jobs_scheduled")); // "later"; the others completed
        Assert.Equal(0, scrape.Single("metronome_runs_in_flight"));
        Assert.Equal(1, scrape.Single("metronome_cluster_nodes"));
        Assert.Equal(1, scrape.Single("metronome_cluster_leader"));
        Assert.DoesNotContain("metronome_api_requests", scrape.Text);
        Assert.DoesNotContain("metronome_jobs_created", scrape.Text);

        // An attempt held by a slow target is in flight while it runs.
        await admin.CreateJobAsync(product, TestApi.Job(slow.Tag!, "slow", executions: 1, intervals: 100));
        var during = await TestApi.EventuallyAsync(() => ScrapeAsync(server.BaseAddress), s => s.Values("metronome_runs_in_flight").FirstOrDefault() == 1);
        Assert.Equal(1, during.Single("metronome_runs_in_flight"));
    }

    [Fact]
    public async Task Each_node_of_a_postgres_cluster_reports_the_live_nodes_and_exactly_one_reports_itself_leader()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync();
        await using var a = await NodeAsync("node-a", database);
        await using var b = await NodeAsync("node-b", database);

        var scrapes = await TestApi.EventuallyAsync(async () => new[] { await ScrapeAsync(a.BaseAddress), await ScrapeAsync(b.BaseAddress) },
            s => s.All(x => x.Values("metronome_cluster_nodes").FirstOrDefault() == 2) && s.Sum(x => x.Values("metronome_cluster_leader").Sum()) == 1,
            TimeSpan.FromSeconds(30));

        Assert.All(scrapes, s => Assert.Equal(2, s.Single("metronome_cluster_nodes")));
        Assert.Equal(1, scrapes.Sum(s => s.Single("metronome_cluster_leader")));
        Assert.All(scrapes, s => Assert.Equal(0, s.Single("metronome_jobs_scheduled")));
    }

    private static Task<ServerProcess> NodeAsync(string name, string database) =>
        ServerProcess.StartAsync(name, Directory.CreateTempSubdirectory($"metronome-{name}-").FullName, AdminKey, new Dictionary<string, string>
        {
            ["METRONOME_STORE"] = "postgres", ["METRONOME_POSTGRES"] = database, ["METRONOME_NODE"] = name, ["METRONOME_HEARTBEAT_MS"] = "500",
        });

    private static HttpClient Admin(ServerProcess server)
    {
        var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    private static async Task<string> CreateProductAsync(HttpClient admin)
    {
        var tag = TestApi.Unique("p");
        await (await admin.PostAsync(Routes.Products, TestApi.Json(new Product { Tag = tag, Name = "Product" }))).ExpectAsync(201);
        return tag;
    }

    internal static async Task<Scrape> ScrapeAsync(Uri server)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        var response = await http.GetAsync("/metrics");
        var text = await response.ExpectAsync(200);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return new Scrape(text);
    }

    internal static Task<List<JobRun>> FinishedAsync(HttpClient admin, string product, string job, int count) =>
        TestApi.EventuallyAsync(async () => (await admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job))).Items
                .Where(r => r.Status is not (RunStatuses.Running or RunStatuses.Skipped)).ToList(),
            runs => runs.Count >= count, TimeSpan.FromSeconds(30));
}
