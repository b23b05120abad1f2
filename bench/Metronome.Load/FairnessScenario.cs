using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Testing;

namespace Metronome.Load;

/// <summary>
/// A hostile tenant and a quiet one on one server (SQLite, its defaults), started as its own process so that the
/// harness's threads are not the server's. First the node's capacity for a CPU-bound JavaScript function (a 5 ms busy
/// loop) is measured as committed fires/s with more demand than it can serve; then a noisy product offers 10× that
/// capacity while a quiet product's API GETs are timed. Reports the quiet tenant's API p50/p99/max and the noisy
/// tenant's committed fires/s. See docs/security/fairness.md.
/// </summary>
internal static class FairnessScenario
{
    private const string BusyLoop = "function handler(input, context) { var end = Date.now() + 5; var x = 0; while (Date.now() < end) { x++; } return x; }";
    private const string SystemName = "Metronome server (SQLite FULL), JavaScript in worker processes";

    public static async Task RunAsync(Workload w, RunReport report)
    {
        int interval = w.Int("interval", 100), capacityJobs = w.Int("capacity_jobs", 100), clients = w.Int("clients", 2);
        double overload = w.Double("overload", 10);
        var workload = $"noisy: {overload}× capacity of 5 ms JS functions every {interval} ms; quiet: {clients} clients GET a job";
        var data = Path.Combine(Path.GetTempPath(), $"metronome-fairness-bench-{Guid.NewGuid():N}");
        var key = "bench-admin-key-" + Guid.NewGuid().ToString("N");
        ServerProcess? server = null;
        try
        {
            server = await StartServerAsync(data, key, w);
            var url = server.BaseAddress;
            using var http = Client(url, key);

            // 1. Capacity: more demand than the node serves; what it commits per second is its capacity.
            var cap = await CreateProductAsync(http, "capacity", capacityJobs, interval);
            var capacity = await CommittedPerSecondAsync(http, cap, capacityJobs, w);
            await DeleteProductAsync(http, cap);

            // 2. The attack: 10× that capacity from one product, while a quiet product's API is timed.
            int noisyJobs = Math.Max(1, (int)Math.Round(overload * capacity * interval / 1000));
            var noisy = await CreateProductAsync(http, "noisy", noisyJobs, interval);
            var quiet = await CreateQuietAsync(http);
            await Task.Delay(w.Warmup);
            var latencies = new LatencyRecorder(1_000_000);
            int failures = 0;
            var from = DateTimeOffset.UtcNow;
            var until = DateTime.UtcNow + w.Duration;
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
            {
                using var client = Client(url, key);
                while (DateTime.UtcNow < until)
                {
                    var watch = Stopwatch.StartNew();
                    try
                    {
                        using var response = await client.GetAsync(Routes.Job(quiet, "tick"));
                        if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failures);
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        Interlocked.Increment(ref failures);
                    }
                    latencies.Record(watch.Elapsed.TotalMilliseconds);
                    await Task.Delay(20);
                }
            }));
            var to = DateTimeOffset.UtcNow;
            var noisyRate = await CountCommittedAsync(http, noisy, noisyJobs, from, to) / (to - from).TotalSeconds;
            await DeleteProductAsync(http, noisy);

            var (p50, p99, max) = latencies.Percentiles();
            report.Rows.Add(new ResultRow("fairness", "fairness sqlite", SystemName, $"{workload} ({noisyJobs} noisy jobs)", new Dictionary<string, double>
            {
                [Metric.FiresPerSecond] = noisyRate,
                [Metric.CapacityPerSecond] = capacity,
                [Metric.ApiP50] = p50,
                [Metric.ApiP99] = p99,
                [Metric.ApiMax] = max,
                [Metric.ApiRequests] = latencies.Count,
                [Metric.Failures] = failures,
            }, Note: "fires/s = the noisy tenant's succeeded fires; api_* = the quiet tenant's GET latency (ms); target api_p99 ≤ 250 ms"));
        }
        catch (Exception e)
        {
            report.Rows.Add(new ResultRow("fairness", "fairness sqlite", SystemName, workload, new Dictionary<string, double>(), ResultRow.Failed, e.Message));
        }
        finally
        {
            if (server is not null) await server.DisposeAsync();
            if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
        }
    }

    private static Task<ServerProcess> StartServerAsync(string data, string key, Workload w)
    {
        var env = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" };
        // --server_env=NAME=VALUE;NAME=VALUE passes settings through (e.g. METRONOME_PRODUCT_MAX_CONCURRENCY=16).
        foreach (var pair in w.String("server_env", "").Split(';', StringSplitOptions.RemoveEmptyEntries))
            if (pair.Split('=', 2) is [var name, var value]) env[name] = value;
        return ServerProcess.StartAsync("fairness", data, key, env);
    }

    private static HttpClient Client(Uri url, string key)
    {
        var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    /// <summary>A product with <paramref name="jobs"/> unlimited jobs of the busy-loop function, created in bulk.</summary>
    private static async Task<string> CreateProductAsync(HttpClient http, string prefix, int jobs, int interval)
    {
        var product = $"{prefix}{DateTime.UtcNow.Ticks}";
        await EnsureAsync(await http.PostAsJsonAsync(Routes.Products, new Product { Tag = product, Name = prefix }, MetronomeJson.Options));
        await EnsureAsync(await http.PostAsJsonAsync(Routes.Events(product), new
        {
            type = "function", tag = "busy", name = "Busy 5 ms", definition = new { language = "javascript", code = BusyLoop, timeout_ms = 1000 },
        }));
        for (int from = 0; from < jobs; from += 1000)
        {
            var items = Enumerable.Range(from, Math.Min(1000, jobs - from)).Select(i => new Dictionary<string, object>
            {
                ["name"] = $"busy {i}", ["tag"] = $"busy-{i}", ["event_type"] = "function", ["event_tag"] = "busy",
                ["executions"] = 0, ["intervals"] = interval, ["start_at"] = "now",
            });
            await EnsureAsync(await http.PostAsJsonAsync($"{Routes.Jobs(product)}:bulk", new { items }));
        }
        return product;
    }

    private static async Task<string> CreateQuietAsync(HttpClient http)
    {
        var product = $"quiet{DateTime.UtcNow.Ticks}";
        await EnsureAsync(await http.PostAsJsonAsync(Routes.Products, new Product { Tag = product, Name = "quiet" }, MetronomeJson.Options));
        await EnsureAsync(await http.PostAsJsonAsync(Routes.Events(product), new
        {
            type = "action", tag = "noop", name = "Noop", definition = new { method = "GET", url = "http://127.0.0.1:9/" },
        }));
        await EnsureAsync(await http.PostAsJsonAsync(Routes.Jobs(product), new Dictionary<string, object>
        {
            ["name"] = "tick", ["tag"] = "tick", ["event_type"] = "action", ["event_tag"] = "noop", ["executions"] = 1, ["intervals"] = 31_622_400_000,
        }));
        return product;
    }

    private static async Task<double> CommittedPerSecondAsync(HttpClient http, string product, int jobs, Workload w)
    {
        await Task.Delay(w.Warmup);
        var from = DateTimeOffset.UtcNow;
        await Task.Delay(w.Duration);
        var to = DateTimeOffset.UtcNow;
        return await CountCommittedAsync(http, product, jobs, from, to) / (to - from).TotalSeconds;
    }

    /// <summary>
    /// Succeeded executions of the product's jobs whose finish lies in [from, to): useful work only. Attempts the function
    /// pool sheds (its per-product queue full: <c>limit_exceeded</c> at once) are failures and do not count.
    /// </summary>
    private static async Task<int> CountCommittedAsync(HttpClient http, string product, int jobs, DateTimeOffset from, DateTimeOffset to)
    {
        int count = 0;
        for (int i = 0; i < jobs; i++)
        {
            string? cursor = null;
            do
            {
                var page = await ReadAsync<Page<JobRun>>(await http.GetAsync(
                    $"{Routes.JobRuns(product, $"busy-{i}")}?limit=1000{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}"));
                count += page.Items.Count(r => r.Status == RunStatuses.Succeeded && r.FinishedAt >= from && r.FinishedAt < to);
                cursor = page.Items.Count > 0 && page.Items[^1].ScheduledAt >= from.AddSeconds(-5) ? page.NextCursor : null;
            }
            while (cursor is not null);
        }
        return count;
    }

    private static async Task DeleteProductAsync(HttpClient http, string product) => await EnsureAsync(await http.DeleteAsync(Routes.Product(product)));

    private static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{(int)response.StatusCode} {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response)
    {
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<T>(MetronomeJson.Options))!;
    }
}
