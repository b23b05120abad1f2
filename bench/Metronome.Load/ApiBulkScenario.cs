using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Metronome.Contracts;
using Metronome.Server;
using Microsoft.AspNetCore.Builder;

namespace Metronome.Load;

/// <summary>
/// The api scenario's bulk mode (<c>api --bulk[=items per request]</c>): job creates per second through
/// <c>POST /api/products/{product}/jobs:bulk</c>, N concurrent clients, against the real server (SQLite, its defaults)
/// started in this process, or against <c>--url</c> with <c>--key</c>. Each request is one store transaction.
/// </summary>
internal static class ApiBulkScenario
{
    private const string SystemName = "Metronome server (SQLite FULL), bulk";

    public static async Task RunAsync(Workload w, RunReport report)
    {
        // "--bulk" alone means the default size; "--bulk=N" sends N jobs per request (the server takes at most 1,000).
        int creates = w.Int("creates", 20_000);
        int perRequest = Math.Clamp(int.TryParse(w.String("bulk", ""), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 500, 1, 1000);
        int clients = w.Int("clients", 4), warmup = w.Int("warmup_creates", 1000);
        var workload = $"{creates} creates, {perRequest} per request, {clients} clients";
        try
        {
            WebApplication? app = null;
            string? data = null;
            Uri url;
            string key;
            if (w.Has("url"))
            {
                url = new Uri(w.String("url", ""));
                key = w.String("key", "");
            }
            else
            {
                data = Path.Combine(Path.GetTempPath(), $"metronome-api-bulk-bench-{Guid.NewGuid():N}");
                key = "bench-admin-key-" + Guid.NewGuid().ToString("N");
                app = MetronomeServer.Build(["--urls=http://127.0.0.1:0", $"--METRONOME_DATA={data}", $"--METRONOME_ADMIN_KEY={key}",
                    "--Logging:LogLevel:Default=Warning"]);
                await app.StartAsync();
                url = new Uri(app.Urls.First());
            }
            try
            {
                var metrics = await MeasureAsync(url, key, creates, perRequest, clients, warmup);
                report.Rows.Add(new ResultRow("api", "api sqlite", SystemName, workload, metrics,
                    Note: "client and server share the 2 cores; one transaction per request"));
            }
            finally
            {
                if (app is not null) await app.DisposeAsync();
                if (data is not null && Directory.Exists(data)) Directory.Delete(data, recursive: true);
            }
        }
        catch (Exception e)
        {
            report.Rows.Add(new ResultRow("api", "api sqlite", SystemName, workload, new Dictionary<string, double>(), ResultRow.Failed, e.Message));
        }
    }

    private static async Task<Dictionary<string, double>> MeasureAsync(Uri baseAddress, string adminKey, int creates, int perRequest, int clients, int warmup)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = baseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        var product = $"bulk{DateTime.UtcNow.Ticks}";
        (await http.PostAsJsonAsync(Routes.Products, new Product { Tag = product, Name = "API bulk bench" }, MetronomeJson.Options)).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync(Routes.Events(product), new { type = "action", tag = "noop", name = "Noop", definition = new { method = "GET", url = "http://127.0.0.1:9/" } })).EnsureSuccessStatusCode();
        await CreateAsync(http, product, "warm", warmup, perRequest, clients);
        var sw = Stopwatch.StartNew();
        int failures = await CreateAsync(http, product, "job", creates, perRequest, clients);
        sw.Stop();
        return new Dictionary<string, double>
        {
            [Metric.CreatesPerSecond] = creates / sw.Elapsed.TotalSeconds,
            [Metric.Failures] = failures,
        };
    }

    /// <summary>Sends <paramref name="creates"/> jobs in requests of <paramref name="perRequest"/>; returns how many were not created.</summary>
    private static async Task<int> CreateAsync(HttpClient http, string product, string prefix, int creates, int perRequest, int clients)
    {
        int next = -1, failures = 0;
        var requests = (creates + perRequest - 1) / perRequest;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int r;
            while ((r = Interlocked.Increment(ref next)) < requests)
            {
                var first = r * perRequest;
                var items = Enumerable.Range(first, Math.Min(perRequest, creates - first)).Select(i => new ProductJob
                {
                    Name = $"Job {i}", Tag = $"{prefix}-{i}", EventType = JobEventTypes.Action, EventTag = "noop", Executions = 1, Intervals = 31_622_400_000,
                }).ToList();
                using var response = await http.PostAsJsonAsync(Routes.Jobs(product) + ":bulk", new { items }, MetronomeJson.Options);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Add(ref failures, items.Count);
                    continue;
                }
                var created = await CountCreatedAsync(response);
                Interlocked.Add(ref failures, items.Count - created);
            }
        }));
        return failures;
    }

    private static async Task<int> CountCreatedAsync(HttpResponseMessage response)
    {
        using var doc = await System.Text.Json.JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
        return doc.RootElement.GetProperty("items").EnumerateArray().Count(i => i.GetProperty("status").GetInt32() == 201);
    }
}
