using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Metronome.Contracts;
using Metronome.Testing;
using Metronome.Testing.Cluster;
using Xunit.Abstractions;

namespace Metronome.Chaos.Tests;

/// <summary>
/// The load of a chaos scenario: <paramref name="FiniteJobs"/> jobs with <c>executions: N</c> whose last executions are spread
/// over <paramref name="FiniteSpan"/> (so that some finish during the chaos and some after it), and <paramref name="InfiniteJobs"/>
/// jobs with <c>executions: 0</c>, every <paramref name="MinIntervalMs"/>–<paramref name="MaxIntervalMs"/> ms, each an HTTP
/// request to the harness target.
/// </summary>
internal sealed record LoadShape(int FiniteJobs, int InfiniteJobs, TimeSpan FiniteSpan, int MinIntervalMs = 100, int MaxIntervalMs = 200, int MaxAttempts = 3)
{
    public static LoadShape Spanning(int seconds) => new(FiniteJobs: 8, InfiniteJobs: 6, TimeSpan.FromSeconds(seconds));
}

/// <summary>
/// A chaos scenario on a <see cref="ClusterHarness"/>: the cluster under a <see cref="LoadShape"/>, creates sent to the nodes'
/// APIs while the chaos runs (the acknowledged ones are remembered), and the <see cref="Invariants"/> checked afterwards.
/// Every phase is logged with the time since the start, so each scenario's wall time is in the test output.
/// </summary>
internal sealed class ChaosCluster : IAsyncDisposable
{
    public const string EventTag = "hit";

    /// <summary>
    /// The suite's cluster timings: a node silent for 3 s is dead (heartbeat every 500 ms), the lease lives 3 s, so that a
    /// fault's consequences (takeovers, a new leader) happen within a scenario. Logs above Information only: they are
    /// diagnostics here, and writing them costs the 2 cores.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> FastFailureDetection = new Dictionary<string, string>
    {
        ["METRONOME_HEARTBEAT_MS"] = "500",
        ["METRONOME_NODE_TIMEOUT_MS"] = "3000",
        ["METRONOME_LEASE_TTL_MS"] = "3000",
        ["METRONOME_POLL_INTERVAL_MS"] = "1000",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    /// <summary><c>METRONOME_NODE_TIMEOUT_MS</c> of <see cref="FastFailureDetection"/>.</summary>
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Bound of every wait for the cluster to catch up (a noisy 2-core machine).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly ITestOutputHelper _output;
    private readonly Stopwatch _clock;
    private readonly ConcurrentQueue<string> _acknowledged = new();
    private readonly ConcurrentDictionary<string, int> _createOutcomes = new();

    private ChaosCluster(ClusterHarness cluster, ITestOutputHelper output, Stopwatch clock)
    {
        Cluster = cluster;
        _output = output;
        _clock = clock;
        Invariants = new Invariants(cluster, Log);
    }

    public ClusterHarness Cluster { get; }
    public Invariants Invariants { get; }

    /// <summary>Tags of the jobs whose create was answered 201 during the chaos.</summary>
    public IReadOnlyCollection<string> Acknowledged => [.. _acknowledged];

    /// <summary>Starts <paramref name="nodes"/> nodes in parallel, creates the load through their APIs and waits until every node fires.</summary>
    public static async Task<ChaosCluster> StartAsync(PostgresServer pg, ITestOutputHelper output, LoadShape shape, int nodes = 3,
        IReadOnlyDictionary<string, string>? env = null)
    {
        var clock = Stopwatch.StartNew();
        var cluster = await ClusterHarness.StartAsync(pg, nodes, new Dictionary<string, string>(env ?? FastFailureDetection));
        var chaos = new ChaosCluster(cluster, output, clock);
        try
        {
            chaos.Log($"{nodes} nodes started");
            await chaos.CreateLoadAsync(shape);
            await ClusterHarness.WaitUntilAsync(async () => await cluster.ScalarAsync<long>("SELECT count(DISTINCT node) FROM runs WHERE status = 'succeeded'") == nodes,
                Patience, cluster.NodeOutputs);
            chaos.Log($"load created ({shape}); every node fires");
            return chaos;
        }
        catch
        {
            await chaos.DisposeAsync();
            throw;
        }
    }

    /// <summary>The event every job of the load executes: a POST to <paramref name="url"/> sending secret <c>TOKEN</c> and the run's id, slot and attempt.</summary>
    public static object HitDefinition(string url) => new
    {
        method = "POST", url, timeout_ms = 5000,
        headers = new Dictionary<string, string> { ["X-Token"] = "{{secrets.TOKEN}}" },
        body = new { run = "{{run.id}}", slot = "{{run.slot}}", attempt = "{{run.attempt}}" },
    };

    public static ProductJob Job(string tag, long executions, long intervalMs, int maxAttempts = 3) => new()
    {
        Name = tag, Tag = tag, EventType = JobEventTypes.Action, EventTag = EventTag, Executions = executions, Intervals = intervalMs, StartAt = "now",
        Retries = new RetryOptions { MaxAttempts = maxAttempts, BackoffMs = 50, MaxBackoffMs = 200 },
    };

    /// <summary>
    /// Runs <paramref name="chaos"/> while a job is created through the nodes' APIs (in turn) every <paramref name="createEvery"/>
    /// (default 500 ms), each create on its own so that a frozen or dead node does not hold the others up.
    /// </summary>
    public async Task UnderChaosAsync(string name, Func<Task> chaos, TimeSpan? createEvery = null)
    {
        using var stop = new CancellationTokenSource();
        var creates = CreateJobsAsync(createEvery ?? TimeSpan.FromMilliseconds(500), stop.Token);
        var clock = Stopwatch.StartNew();
        Log($"{name}: chaos starts");
        try
        {
            await chaos();
        }
        finally
        {
            var chaosTime = clock.Elapsed;
            await stop.CancelAsync();
            await creates;
            Log($"{name}: chaos took {chaosTime.TotalSeconds:F1} s; creates answered: "
                + string.Join(", ", _createOutcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}×{o.Value}")));
        }
    }

    /// <summary>Checks every <see cref="Invariants"/> (waits bounded by <see cref="Patience"/>) and logs the scenario's wall time.</summary>
    public async Task CheckInvariantsAsync()
    {
        var clock = Stopwatch.StartNew();
        await Invariants.CheckAllAsync(Acknowledged, Patience);
        var takeovers = await Cluster.ScalarAsync<long>("SELECT count(*) FROM runs WHERE attempt > 1");
        Log($"invariants held (checked in {clock.Elapsed.TotalSeconds:F1} s; {takeovers} runs needed more than one attempt); scenario wall time {_clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>The node holding the leader's lease now (null while nobody holds it).</summary>
    public async Task<string?> LeaderAsync()
    {
        var rows = await Cluster.RowsAsync("SELECT holder FROM leases WHERE name = 'metronome-leader' AND expires_at > metronome_now_ms()");
        return rows.Count == 0 ? null : (string)rows[0][0];
    }

    public void Log(string line) => _output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1} s  {line}");

    private async Task CreateLoadAsync(LoadShape shape)
    {
        await Cluster.CreateProductAsync();
        await Cluster.PutSecretAsync("TOKEN", "v1");
        await Cluster.CreateEventAsync("action", EventTag, HitDefinition($"{Cluster.TargetUrl}/hit/a"));
        var jobs = new List<ProductJob>();
        for (int i = 0; i < shape.FiniteJobs; i++)
        {
            var interval = Interval(shape, i);
            var executions = Math.Max(5, (long)(shape.FiniteSpan.TotalMilliseconds / interval * (i + 1) / shape.FiniteJobs));
            jobs.Add(Job($"finite-{i:D2}", executions, interval, shape.MaxAttempts));
        }
        for (int i = 0; i < shape.InfiniteJobs; i++)
            jobs.Add(Job($"forever-{i:D2}", 0, Interval(shape, shape.FiniteJobs + i), shape.MaxAttempts));
        var nodes = Cluster.Nodes;
        await Task.WhenAll(jobs.Select(async (job, i) =>
        {
            var status = await ClusterHarness.CreateJobAsync(nodes[i % nodes.Count], job);
            if (status != HttpStatusCode.Created) throw new InvalidOperationException($"creating {job.Tag} answered {(int)status}");
        }));
    }

    private static long Interval(LoadShape shape, int i) => shape.MinIntervalMs + i * 37 % (shape.MaxIntervalMs - shape.MinIntervalMs + 1);

    private async Task CreateJobsAsync(TimeSpan every, CancellationToken stop)
    {
        var pending = new List<Task>();
        for (int n = 0; !stop.IsCancellationRequested; n++)
        {
            var nodes = Cluster.Nodes;
            pending.Add(CreateOneAsync(nodes[n % nodes.Count], $"created-{n:D4}"));
            try
            {
                await Task.Delay(every, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await Task.WhenAll(pending);
    }

    private async Task CreateOneAsync(ServerProcess via, string tag)
    {
        string outcome;
        try
        {
            var status = await ClusterHarness.CreateJobAsync(via, Job(tag, executions: 3, intervalMs: 100), TimeSpan.FromSeconds(10));
            if (status == HttpStatusCode.Created) _acknowledged.Enqueue(tag);
            outcome = ((int)status).ToString();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            outcome = "no answer";
        }
        _createOutcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}
