using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Metronome.Contracts;
using Metronome.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Metronome.Cluster.Tests;

/// <summary>One PostgreSQL server for the test class; each test gets its own database (tests of a class run one after another).</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;
    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();
    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// A cluster under test: N server processes (<c>METRONOME_STORE=postgres</c>) on one database, an HTTP target in this process
/// that counts every hit by idempotency key, and SQL access to the shared database for the assertions.
/// </summary>
internal sealed class ClusterHarness : IAsyncDisposable
{
    public const string AdminKey = "cluster-test-admin-key-0123456789";
    private readonly string _root = Directory.CreateTempSubdirectory("metronome-cluster-").FullName;
    private WebApplication? _target;

    private ClusterHarness(PostgresServer pg, string connectionString)
    {
        Postgres = pg;
        ConnectionString = connectionString;
    }

    public PostgresServer Postgres { get; }
    public string ConnectionString { get; }
    public List<ServerProcess> Nodes { get; } = [];
    public ConcurrentDictionary<string, int> Hits { get; } = new();
    /// <summary>Every hit in arrival order: its idempotency key and <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> at arrival.</summary>
    public ConcurrentQueue<(string Key, long At)> HitLog { get; } = new();
    public string TargetUrl => _target!.Urls.Single();

    public static async Task<ClusterHarness> StartAsync(PostgresServer pg, int nodes, IDictionary<string, string>? env = null)
    {
        var harness = new ClusterHarness(pg, await pg.CreateDatabaseAsync());
        await harness.StartTargetAsync();
        // Started together, as an operator would: the migration's advisory lock makes the simultaneous starts safe.
        var started = await Task.WhenAll(Enumerable.Range(1, nodes).Select(i => harness.StartNodeAsync($"node-{i}", env)));
        harness.Nodes.AddRange(started);
        return harness;
    }

    public Task<ServerProcess> StartNodeAsync(string name, IDictionary<string, string>? env = null)
    {
        var vars = new Dictionary<string, string>
        {
            ["METRONOME_STORE"] = "postgres",
            ["METRONOME_POSTGRES"] = ConnectionString,
            ["METRONOME_NODE"] = name,
        };
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) vars[k] = v;
        return ServerProcess.StartAsync(name, Path.Combine(_root, name), AdminKey, vars, TimeSpan.FromSeconds(90));
    }

    public static HttpClient Client(ServerProcess node)
    {
        var http = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return http;
    }

    /// <summary>Creates the product, an HTTP event hitting the target, and <paramref name="jobs"/> jobs spread over the nodes' APIs.</summary>
    public async Task CreateJobsAsync(int jobs, int executions, long intervals, int maxAttempts = 2, object? definition = null, string eventType = "action")
    {
        using var first = Client(Nodes[0]);
        await Ok(first.PostAsJsonAsync(Routes.Products, new Product { Tag = "shop", Name = "Shop" }, MetronomeJson.Options));
        await Ok(first.PostAsJsonAsync(Routes.Events("shop"), new
        {
            type = eventType, tag = "hit", name = "Hit",
            definition = definition ?? new { method = "POST", url = $"{TargetUrl}/hit", body = new { slot = "{{run.slot}}" } },
        }));
        var clients = Nodes.Select(Client).ToArray();
        try
        {
            for (int i = 0; i < jobs; i++)
                await Ok(clients[i % clients.Length].PostAsJsonAsync(Routes.Jobs("shop"), new ProductJob
                {
                    Name = $"Job {i}", Tag = $"job-{i:D3}", EventType = eventType == "action" ? JobEventTypes.Action : JobEventTypes.Function, EventTag = "hit",
                    Executions = executions, Intervals = intervals, StartAt = "now",
                    Retries = new RetryOptions { MaxAttempts = maxAttempts, BackoffMs = 50, MaxBackoffMs = 100 },
                }, MetronomeJson.Options));
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task<List<object[]>> RowsAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<object[]>();
        while (await r.ReadAsync())
        {
            var row = new object[r.FieldCount];
            r.GetValues(row);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>Waits until every job is completed, reading the database (it survives any node). Retries while PostgreSQL restarts.</summary>
    public Task WaitAllCompletedAsync(int jobs, TimeSpan patience) => WaitUntilAsync(async () =>
    {
        try
        {
            return await ScalarAsync<long>("SELECT count(*) FROM jobs WHERE status = 'completed'") == jobs;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }, patience, () => $"completed: see node logs\n{string.Join("\n---\n", Nodes.Select(n => $"{n.Name}:\n{Tail(n.Output)}"))}");

    /// <summary>The per-job invariants every cluster test checks: exact counts, no slot twice, nothing left running.</summary>
    public async Task AssertEveryJobExecutedExactlyAsync(int jobs, int executions)
    {
        var perJob = await RowsAsync("""
            SELECT r.job_tag, count(*) FILTER (WHERE r.status <> 'skipped'), count(*), count(DISTINCT r.slot), max(j.executions_done), bool_or(r.status = 'running')
            FROM runs r JOIN jobs j ON j.id = r.job_id GROUP BY r.job_tag ORDER BY r.job_tag
            """);
        Assert.Equal(jobs, perJob.Count);
        foreach (var row in perJob)
        {
            var tag = (string)row[0];
            Assert.True((long)row[1] == executions, $"{tag}: {row[1]} executed slots, expected {executions}");
            Assert.True((long)row[2] == (long)row[3], $"{tag}: {row[2]} runs for {row[3]} distinct slots");
            Assert.Equal(executions, (long)row[4]);
            Assert.False((bool)row[5], $"{tag}: a run is still running");
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan patience, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"condition not met within {patience}. {diagnostics?.Invoke()}");
            await Task.Delay(200);
        }
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];

    private async Task StartTargetAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _target = builder.Build();
        _target.MapPost("/hit", async (HttpRequest request) =>
        {
            var key = request.Headers["Idempotency-Key"].ToString();
            HitLog.Enqueue((key, System.Diagnostics.Stopwatch.GetTimestamp()));
            Hits.AddOrUpdate(key, 1, (_, n) => n + 1);
            // Keep some attempts in flight when a node is killed (30 ms, or ?delay_ms=N).
            await Task.Delay(int.TryParse(request.Query["delay_ms"], out var ms) ? ms : 30);
            return Results.Ok(new { ok = true });
        });
        await _target.StartAsync();
    }

    private static async Task Ok(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes) await node.DisposeAsync();
        if (_target is not null) await _target.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
