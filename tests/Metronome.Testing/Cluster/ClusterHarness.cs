using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Metronome.Contracts;
using Npgsql;

namespace Metronome.Testing.Cluster;

/// <summary>
/// A cluster under test: N real <c>metronome serve</c> processes (<c>METRONOME_STORE=postgres</c>) on one database of a
/// throwaway PostgreSQL, an HTTP target in this process that counts every hit by idempotency key (<see cref="HitTarget"/>),
/// SQL access to the shared database for the assertions, and the faults a chaos test injects: kill -9, SIGSTOP/SIGCONT,
/// a restart under the same name, <c>pg_ctl restart</c>, <c>pg_terminate_backend</c> of every node connection.
/// </summary>
public sealed class ClusterHarness : IAsyncDisposable
{
    public const string AdminKey = "cluster-test-admin-key-0123456789";
    public const string Product = "shop";

    /// <summary>Every node's connections carry the application name <c>metronome:&lt;node&gt;</c>; the harness's own do not.</summary>
    private const string NodeApplicationPrefix = "metronome:";

    private readonly string _root = Directory.CreateTempSubdirectory("metronome-cluster-").FullName;
    private readonly Dictionary<string, string> _env;
    private readonly Lock _gate = new();
    private readonly List<ServerProcess> _nodes = [];
    private readonly string _databaseConnectionString;

    private ClusterHarness(PostgresServer pg, string databaseConnectionString, HitTarget target, IDictionary<string, string>? env)
    {
        Postgres = pg;
        _databaseConnectionString = databaseConnectionString;
        // Unpooled: a connection cut by a PostgreSQL restart or pg_terminate_backend must not be handed to the next assertion.
        ConnectionString = databaseConnectionString + ";Application Name=metronome-test-harness;Pooling=false";
        Target = target;
        _env = new Dictionary<string, string>(env ?? new Dictionary<string, string>());
    }

    public PostgresServer Postgres { get; }

    /// <summary>The shared database, as the harness connects to it (unpooled; spared by <see cref="TerminateNodeConnectionsAsync"/>).</summary>
    public string ConnectionString { get; }

    public HitTarget Target { get; }

    /// <summary>Requests the target received per idempotency key (live).</summary>
    public ConcurrentDictionary<string, int> Hits => Target.Counts;

    public string TargetUrl => Target.BaseUrl;

    /// <summary>The current process of every node, in start order (a restarted node keeps its place).</summary>
    public IReadOnlyList<ServerProcess> Nodes { get { lock (_gate) return [.. _nodes]; } }

    /// <summary>Starts <paramref name="nodes"/> nodes <c>node-1</c> … in parallel, each with <paramref name="env"/> on top of the store settings.</summary>
    public static async Task<ClusterHarness> StartAsync(PostgresServer pg, int nodes, IDictionary<string, string>? env = null)
    {
        var database = await pg.CreateDatabaseAsync();
        var harness = new ClusterHarness(pg, database, await HitTarget.StartAsync(), env);
        try
        {
            // Started together, as an operator would: the migration's advisory lock makes the simultaneous starts safe.
            await Task.WhenAll(Enumerable.Range(1, nodes).Select(i => harness.StartNodeAsync($"node-{i}")));
            lock (harness._gate) harness._nodes.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more node under <paramref name="name"/> and waits until it is ready.</summary>
    public async Task<ServerProcess> StartNodeAsync(string name)
    {
        var node = await ServerProcess.StartAsync(name, Path.Combine(_root, name), AdminKey, NodeEnvironment(name), TimeSpan.FromSeconds(90));
        lock (_gate) _nodes.Add(node);
        return node;
    }

    public ServerProcess Node(string name)
    {
        lock (_gate) return _nodes.Single(n => n.Name == name);
    }

    /// <summary>kill -9 of the node (and its function workers): no shutdown code runs.</summary>
    public ServerProcess Kill(string name)
    {
        var node = Node(name);
        node.KillHard();
        return node;
    }

    /// <summary>
    /// Starts a node that exited (killed or stopped) again under the same name, port and data directory. Like a supervisor
    /// (systemd's <c>Restart=on-failure</c>), it starts it again when it exits before it is ready, up to three times: a node
    /// starting while PostgreSQL restarts fails its start.
    /// </summary>
    public async Task<ServerProcess> RestartAsync(string name)
    {
        var old = Node(name);
        if (!old.HasExited) throw new InvalidOperationException($"{name} is still running: kill or stop it first");
        await old.DisposeAsync();
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var fresh = await ServerProcess.StartAsync(name, old.DataDirectory, AdminKey, NodeEnvironment(name), TimeSpan.FromSeconds(90), old.Port);
                lock (_gate) _nodes[_nodes.IndexOf(old)] = fresh;
                return fresh;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>SIGSTOP of the node: it freezes with its connections open.</summary>
    public void Pause(string name) => Node(name).Pause();

    /// <summary>SIGCONT of a paused node.</summary>
    public void Resume(string name) => Node(name).Resume();

    /// <summary><c>pg_ctl restart</c> of the PostgreSQL server: every connection is cut, the server comes back on the same port.</summary>
    public Task RestartPostgresAsync() => Postgres.RestartAsync();

    /// <summary><c>pg_terminate_backend</c> of every connection a node holds to the shared database; returns how many were cut.</summary>
    public Task<long> TerminateNodeConnectionsAsync() => ScalarAsync<long>($"""
        SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE '{NodeApplicationPrefix}%'
        """);

    public static HttpClient Client(ServerProcess node, TimeSpan? timeout = null)
    {
        var http = new HttpClient { BaseAddress = node.BaseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return http;
    }

    /// <summary>Creates the product, an HTTP event hitting the target, and <paramref name="jobs"/> jobs spread over the nodes' APIs.</summary>
    public async Task CreateJobsAsync(int jobs, int executions, long intervals, int maxAttempts = 2, object? definition = null, string eventType = "action")
    {
        await CreateProductAsync();
        await CreateEventAsync(eventType, "hit", definition ?? new { method = "POST", url = $"{TargetUrl}/hit", body = new { slot = "{{run.slot}}" } });
        var nodes = Nodes;
        for (int i = 0; i < jobs; i++)
        {
            var job = new ProductJob
            {
                Name = $"Job {i}", Tag = $"job-{i:D3}", EventType = eventType == "action" ? JobEventTypes.Action : JobEventTypes.Function, EventTag = "hit",
                Executions = executions, Intervals = intervals, StartAt = "now",
                Retries = new RetryOptions { MaxAttempts = maxAttempts, BackoffMs = 50, MaxBackoffMs = 100 },
            };
            var status = await CreateJobAsync(nodes[i % nodes.Count], job);
            if (status != HttpStatusCode.Created) throw new InvalidOperationException($"creating {job.Tag} answered {(int)status}");
        }
    }

    /// <summary>Creates product <see cref="Product"/> through the first node.</summary>
    public Task CreateProductAsync() => SendOkAsync(Nodes[0], HttpMethod.Post, Routes.Products, new Product { Tag = Product, Name = "Shop" });

    public Task CreateEventAsync(string type, string tag, object definition, ServerProcess? via = null) =>
        SendOkAsync(via ?? Nodes[0], HttpMethod.Post, Routes.Events(Product), new { type, tag, name = tag, definition });

    /// <summary>Replaces an event's definition through <paramref name="via"/> (the API's PATCH).</summary>
    public Task UpdateEventAsync(string type, string tag, object definition, ServerProcess? via = null) =>
        SendOkAsync(via ?? Nodes[0], HttpMethod.Patch, Routes.Event(Product, type, tag), new { definition });

    /// <summary>Stores (or rotates) a product secret through <paramref name="via"/>.</summary>
    public Task PutSecretAsync(string name, string value, ServerProcess? via = null) =>
        SendOkAsync(via ?? Nodes[0], HttpMethod.Put, Routes.Secret(Product, name), new SecretValue { Value = value });

    /// <summary>POSTs <paramref name="job"/> to <paramref name="via"/>; the status is the acknowledgement (201 = created).</summary>
    public static async Task<HttpStatusCode> CreateJobAsync(ServerProcess via, ProductJob job, TimeSpan? timeout = null)
    {
        using var http = Client(via, timeout);
        using var response = await http.PostAsJsonAsync(Routes.Jobs(Product), job, MetronomeJson.Options);
        return response.StatusCode;
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
    }, patience, NodeOutputs);

    /// <summary>The tail of every node's output, for a failure message.</summary>
    public string NodeOutputs() => string.Join("\n---\n", Nodes.Select(n => $"{n.Name}:\n{Tail(n.Output)}"));

    /// <summary>Polls <paramref name="condition"/> every 200 ms; throws <see cref="TimeoutException"/> after <paramref name="patience"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan patience, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"condition not met within {patience}. {diagnostics?.Invoke()}");
            await Task.Delay(200);
        }
    }

    private Dictionary<string, string> NodeEnvironment(string name)
    {
        var vars = new Dictionary<string, string>
        {
            ["METRONOME_STORE"] = "postgres",
            ["METRONOME_POSTGRES"] = $"{_databaseConnectionString};Application Name={NodeApplicationPrefix}{name}",
            ["METRONOME_NODE"] = name,
        };
        foreach (var (k, v) in _env) vars[k] = v;
        return vars;
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];

    private static async Task SendOkAsync(ServerProcess via, HttpMethod method, string path, object body)
    {
        using var http = Client(via);
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, body.GetType(), options: MetronomeJson.Options) };
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{method} {path} through {via.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes) await node.DisposeAsync();
        await Target.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
