using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Metronome.Contracts;
using Xunit.Abstractions;

namespace Metronome.Security.Tests.Fuzz;

/// <summary>
/// Thousands of hostile requests from a tenant with an ordinary product key, against the real server process: not one
/// answer may be a 5xx, the server must stay alive, and everything it stored must still be readable afterwards.
/// Seeded: <c>METRONOME_FUZZ_SEED</c> replays a run (the failing requests are printed with their index).
/// </summary>
public sealed class ProductFuzzTests(HostileServer server, ITestOutputHelper output) : IClassFixture<HostileServer>
{
    private const int Requests = 5_000;
    private const int Concurrency = 8;

    [Fact]
    public async Task Five_thousand_hostile_requests_get_no_5xx_and_leave_the_server_healthy()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("METRONOME_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 20261203;
        var tenant = await server.CreateTenantAsync("fuzz");
        await tenant.CreateEventAsync("action", "a", new { method = "POST", url = "http://127.0.0.1:9/x" });
        await tenant.CreateEventAsync("function", "f", new { language = "javascript", code = "function handler(){ return 1; }" });
        foreach (var tag in new[] { "j0", "j1", "j2" }) await tenant.CreateJobAsync(tag, "action", "a", executions: 1, intervals: 3_600_000);
        var generator = new FuzzRequests(seed, tenant.Product);
        var requests = Enumerable.Range(0, Requests).Select(_ => generator.Next()).ToList();

        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentQueue<string>();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (request, ct) =>
        {
            var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path);
            if (request.Body is not null)
            {
                message.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(request.Body));
                if (request.ContentType is not null) message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
            int status;
            try
            {
                using var response = await tenant.Http.SendAsync(message, ct);
                await response.Content.ReadAsByteArrayAsync(ct);
                status = (int)response.StatusCode;
            }
            catch (HttpRequestException e)
            {
                status = -1;
                failures.Enqueue($"{request} → connection failed: {e.Message}");
            }
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            if (status >= 500) failures.Enqueue($"{request} → {status}");
        });
        watch.Stop();

        var histogram = string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}"));
        output.WriteLine($"fuzz seed {seed}: {Requests} requests, concurrency {Concurrency}, {watch.Elapsed.TotalSeconds:F1} s; statuses {histogram}");
        Assert.True(failures.IsEmpty, $"{failures.Count} requests failed (seed {seed}):\n{string.Join('\n', failures.Take(20))}\n--- server output (tail) ---\n{Tail(server.Process.Output)}");
        Assert.Equal(Requests, statuses.Values.Sum());
        Assert.True(await server.IsAliveAsync(), "the server is no longer healthy");

        // Whatever the fuzz managed to store is readable: every list and every job answers 200.
        string? cursor = null;
        do
        {
            var list = await tenant.Http.GetAsync(Routes.Jobs(tenant.Product) + "?limit=100" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            var page = await Tenant.ReadAsync<Page<ProductJob>>(list);
            foreach (var job in page.Items)
                Assert.Equal(HttpStatusCode.OK, (await tenant.Http.GetAsync(Routes.Job(tenant.Product, job.Tag!))).StatusCode);
            cursor = page.NextCursor;
        } while (cursor is not null);
        Assert.Equal(HttpStatusCode.OK, (await tenant.Http.GetAsync(Routes.Events(tenant.Product))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await tenant.Http.GetAsync(Routes.Product(tenant.Product))).StatusCode);
    }

    [Fact]
    public void The_same_seed_generates_the_same_requests()
    {
        var a = new FuzzRequests(7, "p");
        var b = new FuzzRequests(7, "p");

        for (int i = 0; i < 500; i++) Assert.Equal(a.Next(), b.Next());
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}
