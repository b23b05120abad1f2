using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Metronome.Contracts;
using Metronome.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Metronome.Load;

/// <summary>
/// Job creates per second over HTTP on loopback, N concurrent clients, against the real server (SQLite, its defaults)
/// started in this process on a free port with a temporary data directory; or against <c>--url</c> with <c>--key</c>.
/// The first creates are warm-up. The server has no bulk-create endpoint, so none is measured.
/// </summary>
internal static class ApiScenario
{
    public static async Task RunAsync(Workload w, RunReport report)
    {
        int creates = w.Int("creates", 20_000), clients = w.Int("clients", 16), warmup = w.Int("warmup_creates", 1000);
        var workload = $"{creates} creates, {clients} clients";
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
                data = Path.Combine(Path.GetTempPath(), $"metronome-api-bench-{Guid.NewGuid():N}");
                key = "bench-admin-key-" + Guid.NewGuid().ToString("N");
                app = MetronomeServer.Build(["--urls=http://127.0.0.1:0", $"--METRONOME_DATA={data}", $"--METRONOME_ADMIN_KEY={key}",
                    "--Logging:LogLevel:Default=Warning"]);
                await app.StartAsync();
                url = new Uri(app.Urls.First());
            }
            try
            {
                var metrics = await MeasureAsync(url, key, creates, clients, warmup);
                report.Rows.Add(new ResultRow("api", "api sqlite", "Metronome server (SQLite FULL)", workload, metrics,
                    Note: "client and server share the 2 cores; one request per job (see --bulk); peers have no HTTP API"));
            }
            finally
            {
                if (app is not null) await app.DisposeAsync();
                if (data is not null && Directory.Exists(data)) Directory.Delete(data, recursive: true);
            }
        }
        catch (Exception e)
        {
            report.Rows.Add(new ResultRow("api", "api sqlite", "Metronome server (SQLite FULL)", workload, new Dictionary<string, double>(), ResultRow.Failed, e.Message));
        }
    }

    private static async Task<Dictionary<string, double>> MeasureAsync(Uri baseAddress, string adminKey, int creates, int clients, int warmup)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = baseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        var product = $"api{DateTime.UtcNow.Ticks}";
        (await http.PostAsJsonAsync(Routes.Products, new Product { Tag = product, Name = "API bench" }, MetronomeJson.Options)).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync(Routes.Events(product), new { type = "action", tag = "noop", name = "Noop", definition = new { method = "GET", url = "http://127.0.0.1:9/" } })).EnsureSuccessStatusCode();
        await CreateAsync(http, product, "warm", warmup, clients);
        var sw = Stopwatch.StartNew();
        int failures = await CreateAsync(http, product, "job", creates, clients);
        sw.Stop();
        return new Dictionary<string, double>
        {
            [Metric.CreatesPerSecond] = creates / sw.Elapsed.TotalSeconds,
            [Metric.Failures] = failures,
        };
    }

    private static async Task<int> CreateAsync(HttpClient http, string product, string prefix, int creates, int clients)
    {
        int next = -1, failures = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < creates)
            {
                using var response = await http.PostAsJsonAsync(Routes.Jobs(product), new ProductJob
                {
                    Name = $"Job {i}", Tag = $"{prefix}-{i}", EventType = JobEventTypes.Action, EventTag = "noop", Executions = 1, Intervals = 31_622_400_000,
                }, MetronomeJson.Options);
                if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failures);
            }
        }));
        return failures;
    }
}
