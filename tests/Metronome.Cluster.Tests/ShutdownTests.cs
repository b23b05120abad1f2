using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Metronome.Contracts;
using Metronome.Testing;
using Metronome.Testing.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Metronome.Cluster.Tests;

/// <summary>
/// SIGTERM to a real server process with an HTTP call in flight (SPEC §7): the call finishes within the shutdown timeout and
/// is recorded; or, when the timeout is shorter than the call, the attempt is handed back and the next start (SQLite) or
/// another node (PostgreSQL) runs it as the same attempt with the same idempotency key. Timings are asserted with slack.
/// </summary>
public sealed class ShutdownTests(PostgresFixture pg, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const string AdminKey = ClusterHarness.AdminKey;
    private static readonly TimeSpan TenSeconds = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Sigterm_lets_a_10_s_call_in_flight_finish_the_run_succeeds_and_the_target_sees_one_call()
    {
        await using var target = await SlowTarget.StartAsync(_ => TenSeconds);
        var data = Directory.CreateTempSubdirectory("metronome-sigterm-").FullName;
        await using var server = await ServerProcess.StartAsync("sigterm", data, AdminKey); // default shutdown timeout: 30 s
        await CreateJobAsync(server, target.Url);
        await ClusterHarness.WaitUntilAsync(() => Task.FromResult(target.Hits.Count == 1), Patience);

        var exit = await server.TerminateAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"exited {exit.TotalSeconds:F1} s after SIGTERM");

        Assert.True(exit < TimeSpan.FromSeconds(30), $"the process must exit within the shutdown timeout (30 s), took {exit}");
        Assert.Equal(0, server.ExitCode);
        var run = Assert.Single(await SqliteRunsAsync(data));
        Assert.Equal(("succeeded", 1L), (run.Status, run.Attempt));
        Assert.Equal(1, Assert.Single(target.Hits).Value);                   // exactly one call, never re-run
        Assert.Contains("1 attempts finished during the stop, 0 handed back", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_call_outliving_a_short_shutdown_timeout_is_handed_back_and_the_next_start_runs_the_same_attempt()
    {
        await using var target = await SlowTarget.StartAsync(nth => nth == 1 ? TenSeconds : TimeSpan.FromMilliseconds(20));
        var data = Directory.CreateTempSubdirectory("metronome-handback-").FullName;
        var port = FreePort.Next();
        await using (var server = await ServerProcess.StartAsync("handback", data, AdminKey,
            new Dictionary<string, string> { ["METRONOME_SHUTDOWN_TIMEOUT_MS"] = "2000" }, port: port))
        {
            await CreateJobAsync(server, target.Url);
            await ClusterHarness.WaitUntilAsync(() => Task.FromResult(target.Hits.Count == 1), Patience);

            var exit = await server.TerminateAsync(TimeSpan.FromSeconds(60));
            output.WriteLine($"exited {exit.TotalSeconds:F1} s after SIGTERM (timeout 2 s)\n{server.Output}");

            Assert.True(exit < TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(4), $"the process must exit within the shutdown timeout (2 s, with slack), took {exit}");
            Assert.Contains("0 attempts finished during the stop, 1 handed back", server.Output, StringComparison.Ordinal);
            var handedBack = Assert.Single(await SqliteRunsAsync(data));
            Assert.Equal(("running", 1L, true), (handedBack.Status, handedBack.Attempt, handedBack.PendingRetry));
        }

        await using var restarted = await ServerProcess.StartAsync("handback-restarted", data, AdminKey, port: port);
        await ClusterHarness.WaitUntilAsync(async () => (await SqliteRunsAsync(data)).Single().Status == "succeeded", Patience);

        var run = Assert.Single(await SqliteRunsAsync(data));
        Assert.Equal(("succeeded", 1L), (run.Status, run.Attempt));          // the same attempt, not abandoned, not attempt 2
        Assert.Equal(2, Assert.Single(target.Hits).Value);                   // the interrupted call once more, under the same key
    }

    [Fact]
    public async Task A_call_outliving_a_short_shutdown_timeout_is_handed_back_and_another_node_runs_the_same_attempt()
    {
        await using var cluster = await ClusterHarness.StartAsync(pg.Server, nodes: 2,
            env: new Dictionary<string, string> { ["METRONOME_SHUTDOWN_TIMEOUT_MS"] = "2000" });
        cluster.Target.HitDuration = nth => nth == 1 ? TenSeconds : TimeSpan.FromMilliseconds(20);
        await cluster.CreateJobsAsync(jobs: 1, executions: 1, intervals: 3_600_000, maxAttempts: 1);
        await ClusterHarness.WaitUntilAsync(() => Task.FromResult(cluster.Hits.Count == 1), Patience);
        var owner = await cluster.ScalarAsync<string>("SELECT node FROM runs WHERE status = 'running'");
        var leaving = cluster.Nodes.Single(n => n.Name == owner);
        var staying = cluster.Nodes.Single(n => n.Name != owner);

        var exit = await leaving.TerminateAsync(TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        output.WriteLine($"{owner} exited {exit.TotalSeconds:F1} s after SIGTERM (timeout 2 s)\n{leaving.Output}");
        Assert.True(exit < TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(4), $"the node must exit within the shutdown timeout (2 s, with slack), took {exit}");
        Assert.Contains("0 attempts finished during the stop, 1 handed back", leaving.Output, StringComparison.Ordinal);

        await ClusterHarness.WaitUntilAsync(async () => await cluster.ScalarAsync<string>("SELECT status FROM runs") == "succeeded", Patience,
            () => staying.Output);
        output.WriteLine($"{staying.Name} finished the handed-back attempt {clock.Elapsed.TotalSeconds:F1} s after {owner} exited");

        var run = Assert.Single(await cluster.RowsAsync("SELECT status, attempt, node FROM runs"));
        Assert.Equal(("succeeded", 1, staying.Name), ((string)run[0], (int)run[1], (string)run[2]));
        Assert.Equal(2, Assert.Single(cluster.Hits).Value);                  // the same attempt again, under the same idempotency key
    }

    [Fact]
    public async Task Sigterm_to_an_overloaded_server_ends_it_within_the_timeout_and_leaves_no_run_unaccounted()
    {
        // 1,000 jobs every 100 ms against a target answering in 300 ms: about 3,000 calls would be in flight for a node's 512.
        await using var target = await SlowTarget.StartAsync(_ => TimeSpan.FromMilliseconds(300));
        var data = Directory.CreateTempSubdirectory("metronome-overload-").FullName;
        await using var server = await ServerProcess.StartAsync("overloaded", data, AdminKey);
        using (var http = Client(server))
        {
            await CreateEventAsync(http, target.Url);
            var jobs = Enumerable.Range(0, 1000).Select(i => new ProductJob
            {
                Name = $"Job {i}", Tag = $"job-{i:D4}", EventType = JobEventTypes.Action, EventTag = "hit", Executions = 0, Intervals = 100,
                StartAt = "now", Overlap = "allow",
            }).ToArray();
            await Ok(http.PostAsJsonAsync(Routes.Jobs("shop") + ":bulk", new { items = jobs }, MetronomeJson.Options));
        }
        await ClusterHarness.WaitUntilAsync(() => Task.FromResult(target.Hits.Count >= 5_000), Patience);

        var exit = await server.TerminateAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"exited {exit.TotalSeconds:F1} s after SIGTERM with {target.Hits.Count} calls made\n{Tail(server.Output)}");

        Assert.True(exit < TimeSpan.FromSeconds(30), $"the process must exit within the shutdown timeout (30 s), took {exit}");
        var runs = await SqliteRunsAsync(data);
        // Every run is finished, or handed back (a pending retry of the same attempt): none is left running unknown to the store.
        Assert.DoesNotContain(runs, r => r.Status == "running" && !r.PendingRetry);
        Assert.Contains("handed back", server.Output, StringComparison.Ordinal);
    }

    private static string Tail(string text) => text.Length <= 3000 ? text : text[^3000..];

    private static HttpClient Client(ServerProcess server)
    {
        var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return http;
    }

    private static async Task CreateEventAsync(HttpClient http, string target)
    {
        await Ok(http.PostAsJsonAsync(Routes.Products, new Product { Tag = "shop", Name = "Shop" }, MetronomeJson.Options));
        await Ok(http.PostAsJsonAsync(Routes.Events("shop"), new
        {
            type = "action", tag = "hit", name = "Hit", definition = new { method = "POST", url = $"{target}/hit", body = new { slot = "{{run.slot}}" } },
        }));
    }

    /// <summary>One job: a single execution of an HTTP call to <paramref name="target"/>, now, with no retry.</summary>
    private static async Task CreateJobAsync(ServerProcess server, string target)
    {
        using var http = Client(server);
        await CreateEventAsync(http, target);
        await Ok(http.PostAsJsonAsync(Routes.Jobs("shop"), new ProductJob
        {
            Name = "Slow", Tag = "slow", EventType = JobEventTypes.Action, EventTag = "hit", Executions = 1, Intervals = 3_600_000, StartAt = "now",
            TimeoutMs = 20_000, Retries = new RetryOptions { MaxAttempts = 1 },
        }, MetronomeJson.Options));
    }

    private sealed record RunRow(string Status, long Attempt, bool PendingRetry);

    private static async Task<List<RunRow>> SqliteRunsAsync(string dataDir)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "metronome.db")};Pooling=False");
        await connection.OpenAsync();
        await using var cmd = new SqliteCommand("SELECT status, attempt, retry_at IS NOT NULL FROM runs ORDER BY id", connection);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<RunRow>();
        while (await r.ReadAsync()) rows.Add(new RunRow(r.GetString(0), r.GetInt64(1), r.GetBoolean(2)));
        return rows;
    }

    private static async Task Ok(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>An HTTP target (Kestrel, in this process) that counts hits by idempotency key and answers the n-th after a set time.</summary>
    private sealed class SlowTarget : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private SlowTarget(WebApplication app) => _app = app;

        public ConcurrentDictionary<string, int> Hits { get; } = new();
        public string Url => _app.Urls.Single();

        public static async Task<SlowTarget> StartAsync(Func<int, TimeSpan> duration)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var target = new SlowTarget(builder.Build());
            target._app.MapPost("/hit", async (HttpRequest request) =>
            {
                var nth = target.Hits.AddOrUpdate(request.Headers["Idempotency-Key"].ToString(), 1, (_, n) => n + 1);
                await Task.Delay(duration(nth));
                return Results.Ok(new { ok = true });
            });
            await target._app.StartAsync();
            return target;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
