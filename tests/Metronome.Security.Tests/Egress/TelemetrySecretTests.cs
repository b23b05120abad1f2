using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using Metronome.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metronome.Security.Tests.Egress;

/// <summary>A server process exporting its traces and metrics over OTLP (http/protobuf) to a collector of the test's own.</summary>
public sealed class TracedServer : HostileServer
{
    private WebApplication? _collector;
    private string _endpoint = "";

    /// <summary>Every OTLP body received, as Latin-1 text (protobuf keeps strings as their UTF-8 bytes).</summary>
    public ConcurrentQueue<(string Path, string Body)> Exports { get; } = new();

    protected override IDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
    };

    public override async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            Exports.Enqueue((context.Request.Path.Value!, Encoding.Latin1.GetString(body.ToArray())));
        });
        await app.StartAsync();
        _collector = app;
        _endpoint = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_collector is not null) await _collector.DisposeAsync();
    }
}

/// <summary>SPEC §7: no span, metric or attempt line carries a secret, wherever a definition used it (URL host and path included).</summary>
public sealed class TelemetrySecretTests(TracedServer server, EchoTarget target) : IClassFixture<TracedServer>, IClassFixture<EchoTarget>
{
    private static string Around(string text, string part)
    {
        var i = text.IndexOf(part, StringComparison.OrdinalIgnoreCase);
        return i < 0 ? "" : new string(text[Math.Max(0, i - 200)..Math.Min(text.Length, i + 100)].Select(c => char.IsControl(c) ? '.' : c).ToArray());
    }

    [Fact]
    public async Task Secrets_in_a_url_path_host_or_body_never_reach_a_span_a_metric_or_the_attempt_line()
    {
        var evil = await server.CreateTenantAsync("evil");
        var pathSecret = "path-" + Guid.NewGuid().ToString("N");
        const string jsonSecret = "p@ss+w<rd>-json-escaped";
        const string hostSecret = "LocalHost";
        var querySecret = "query-" + Guid.NewGuid().ToString("N");
        foreach (var (name, value) in new[] { ("PATH", pathSecret), ("JSON", jsonSecret), ("HOST", hostSecret), ("QUERY", querySecret) })
            await Tenant.EnsureAsync(await evil.Http.PutAsJsonAsync(Routes.Secret(evil.Product, name), new { value }));
        var closed = Testing.FreePort.Next();
        await evil.CreateEventAsync("action", "echo", new
        {
            method = "POST", url = $"{target.BaseUrl}/s/{{{{secrets.PATH}}}}?token={{{{secrets.QUERY}}}}", body = new { password = "{{secrets.JSON}}" },
        });
        await evil.CreateEventAsync("action", "host", new { url = $"http://{{{{secrets.HOST}}}}:{closed}/{{{{secrets.PATH}}}}" });

        // One slot each, the next 5 s away: a claim delayed on a busy machine finds no later slot to fire instead (a skipped run).
        await evil.CreateJobAsync("echo", "action", "echo", intervals: 5000);
        await evil.CreateJobAsync("host", "action", "host", intervals: 5000);
        var echo = Assert.Single(await evil.WaitForFinishedRunsAsync("echo", 1));
        var host = Assert.Single(await evil.WaitForFinishedRunsAsync("host", 1));
        Assert.Equal(RunStatuses.Succeeded, echo.Status);
        Assert.Equal("connection_refused", host.Error?.Kind);
        Assert.NotNull(target.RequestTo($"/s/{pathSecret}"));

        // Wait for both attempts' spans (and the echo's HttpClient span, its URL masked) and a metric export naming the product.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        string traces = "", metrics = "";
        while (DateTime.UtcNow < deadline)
        {
            traces = string.Join('\n', server.Exports.Where(e => e.Path == "/v1/traces").Select(e => e.Body));
            metrics = string.Join('\n', server.Exports.Where(e => e.Path == "/v1/metrics").Select(e => e.Body));
            if (traces.Contains("/s/***", StringComparison.Ordinal) && traces.Split(evil.Product).Length > 2 && metrics.Contains(evil.Product, StringComparison.Ordinal)) break;
            await Task.Delay(100);
        }
        Assert.Contains("/s/***", traces); // the HttpClient span of the echo request, its path secret masked and its query dropped
        Assert.Contains("metronome.attempt", traces);
        Assert.Contains(evil.Product, metrics);
        var scrape = await (await server.Admin.GetAsync("/metrics")).Content.ReadAsStringAsync();
        var log = server.Process.Output;
        Assert.Contains($"Run of {evil.Product}/host slot 1 attempt 1 (action) failed (connection_refused)", log);
        Assert.Contains($"Run of {evil.Product}/echo slot 1 attempt 1 (action) succeeded", log);

        foreach (var (what, text) in new[] { ("traces", traces), ("metrics", metrics), ("scrape", scrape), ("log", log) })
        {
            Assert.False(text.Contains(pathSecret, StringComparison.Ordinal), $"{what} carries the path secret");
            Assert.False(text.Contains(querySecret, StringComparison.Ordinal), $"{what} carries the query secret");
            Assert.False(text.Contains("p@ss", StringComparison.Ordinal), $"{what} carries the body secret");
            Assert.False(text.Contains($"localhost:{closed}", StringComparison.OrdinalIgnoreCase), $"{what} carries the host secret: " + Around(text, $"localhost:{closed}"));
        }
    }
}
