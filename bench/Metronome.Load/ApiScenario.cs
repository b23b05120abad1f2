using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Metronome.Contracts;

namespace Metronome.Load;

/// <summary>Job creates per second over HTTP on loopback against a running server, with N concurrent clients.</summary>
internal static class ApiScenario
{
    public static async Task<string> RunAsync(Uri baseAddress, string adminKey, int creates, int clients)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = baseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        var product = $"api{DateTime.UtcNow.Ticks}";
        (await http.PostAsJsonAsync(Routes.Products, new Product { Tag = product, Name = "API bench" }, MetronomeJson.Options)).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync(Routes.Events(product), new { type = "action", tag = "noop", name = "Noop", definition = new { method = "GET", url = "http://127.0.0.1:9/" } })).EnsureSuccessStatusCode();
        int next = -1, failures = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < creates)
            {
                using var response = await http.PostAsJsonAsync(Routes.Jobs(product), new ProductJob
                {
                    Name = $"Job {i}", Tag = $"job-{i}", EventType = JobEventTypes.Action, EventTag = "noop", Executions = 1, Intervals = 31_622_400_000,
                }, MetronomeJson.Options);
                if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failures);
            }
        }));
        sw.Stop();
        return $"| api creates sqlite | {creates} creates, {clients} clients | {creates / sw.Elapsed.TotalSeconds:F0} creates/s | {failures} failed |";
    }
}
