using System.Diagnostics;
using System.Net;
using Metronome.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Metronome.Security.Tests.Fairness;

/// <summary>A server whose node runs 16 attempts at once, at most 4 of one product (docs/security/fairness.md).</summary>
public sealed class FairnessServer : HostileServer
{
    public const int ProductCap = 4;

    protected override IDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["METRONOME_MAX_CONCURRENCY"] = "16",
        ["METRONOME_PRODUCT_MAX_CONCURRENCY"] = ProductCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// A tenant with many slow jobs saturates its cap of concurrent attempts; another tenant's job still fires on time and
/// its API calls answer. The slow peer holds each request 2 s without burning CPU, so what is measured is the slots, not
/// the cores. Bounds are generous: the box running this is small and shared.
/// </summary>
public sealed class NoisyNeighbourTests(FairnessServer server) : IClassFixture<FairnessServer>, IAsyncLifetime
{
    private WebApplication? _peer;
    private int _inFlight, _peakInFlight, _slowCalls;
    private string _peerUrl = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _peer = builder.Build();
        _peer.MapPost("/slow", async () =>
        {
            Interlocked.Increment(ref _slowCalls);
            int now = Interlocked.Increment(ref _inFlight);
            for (int peak = Volatile.Read(ref _peakInFlight); now > peak; peak = Volatile.Read(ref _peakInFlight))
                Interlocked.CompareExchange(ref _peakInFlight, now, peak);
            try { await Task.Delay(TimeSpan.FromSeconds(2)); }
            finally { Interlocked.Decrement(ref _inFlight); }
            return Results.Ok();
        });
        _peer.MapPost("/fast", () => Results.Ok());
        await _peer.StartAsync();
        _peerUrl = _peer.Urls.First();
    }

    public async Task DisposeAsync()
    {
        if (_peer is not null) await _peer.DisposeAsync();
    }

    [Fact]
    public async Task A_noisy_product_at_its_cap_neither_delays_a_quiet_products_job_nor_its_api()
    {
        var noisy = await server.CreateTenantAsync("noisy");
        var quiet = await server.CreateTenantAsync("quiet");
        await noisy.CreateEventAsync("action", "slow", new { method = "POST", url = $"{_peerUrl}/slow", timeout_ms = 20_000 });
        await quiet.CreateEventAsync("action", "fast", new { method = "POST", url = $"{_peerUrl}/fast" });
        // 40 jobs of 2 s calls every 100 ms: far more than the whole node's 16 slots.
        for (int i = 0; i < 40; i++)
            await noisy.CreateJobAsync($"slow-{i}", "action", "slow", executions: 0, intervals: 100, timeoutMs: 30_000);
        await WaitUntilAsync(() => Volatile.Read(ref _peakInFlight) >= FairnessServer.ProductCap, TimeSpan.FromSeconds(30), "the noisy product never reached its cap");

        await quiet.CreateJobAsync("tick", "action", "fast", executions: 3, intervals: 2_000); // a slot waiting 2 s would be skipped
        var api = new List<TimeSpan>();
        for (int i = 0; i < 20; i++)
        {
            var watch = Stopwatch.StartNew();
            var response = await quiet.Http.GetAsync(Routes.Job(quiet.Product, "tick"));
            api.Add(watch.Elapsed);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await Task.Delay(100);
        }
        var runs = await quiet.WaitForFinishedRunsAsync("tick", 3, TimeSpan.FromSeconds(60));

        Assert.All(runs, r =>
        {
            Assert.Equal(RunStatuses.Succeeded, r.Status);
            // Without the cap this attempt would queue behind ~24 noisy ones (about 3 s at 16 slots × 2 s); with it, it starts at once.
            Assert.True(r.StartedAt - r.ScheduledAt < TimeSpan.FromSeconds(2), $"slot {r.Slot} started {r.StartedAt - r.ScheduledAt} late");
        });
        Assert.True(api.Max() < TimeSpan.FromSeconds(5), $"slowest API call of the quiet tenant took {api.Max()}");
        Assert.True(Volatile.Read(ref _peakInFlight) <= FairnessServer.ProductCap,
            $"the noisy product had {_peakInFlight} attempts in flight, over its cap of {FairnessServer.ProductCap}");

        // The admin's calls answer too (the reported attack made an admin DELETE time out), and the noise stops.
        var delete = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.NoContent, (await server.Admin.DeleteAsync(Routes.Product(noisy.Product))).StatusCode);
        Assert.True(delete.Elapsed < TimeSpan.FromSeconds(10), $"admin DELETE took {delete.Elapsed}");
        Assert.True(await server.IsAliveAsync());
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan patience, string message)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(message);
            await Task.Delay(100);
        }
    }
}
