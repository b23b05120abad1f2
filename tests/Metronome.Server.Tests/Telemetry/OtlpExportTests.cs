using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests.Telemetry;

/// <summary>With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, traces and metrics are pushed over OTLP (http/protobuf) to a real listener.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task With_an_otlp_endpoint_the_server_posts_its_traces_and_metrics_there()
    {
        await using var collector = await TargetListener.StartAsync();
        await using var target = await TargetListener.StartAsync();
        var endpoint = collector.Url.GetLeftPart(UriPartial.Authority);
        await using var server = await TestServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        var product = (await server.CreateProductAsync()).Tag!;
        var ev = await server.Admin.CreateActionEventAsync(product, target.Url);
        await server.Admin.CreateJobAsync(product, TestApi.Job(ev.Tag!, "exported", executions: 1, intervals: 100));
        await MetricsScrapeTests.FinishedAsync(server.Admin, product, "exported", 1);

        var received = await TestApi.EventuallyAsync(() => Task.FromResult(collector.Requests),
            r => r.Any(x => x.Path == "/v1/traces" && x.Body.Contains(product, StringComparison.Ordinal) && x.Body.Contains("metronome.attempt", StringComparison.Ordinal))
                && r.Any(x => x.Path == "/v1/metrics" && x.Body.Contains("metronome.runs", StringComparison.Ordinal) && x.Body.Contains(product, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20));

        var traces = received.First(x => x.Path == "/v1/traces" && x.Body.Contains(product, StringComparison.Ordinal) && x.Body.Contains("metronome.attempt", StringComparison.Ordinal));
        Assert.Equal("POST", traces.Method);
        Assert.Equal("application/x-protobuf", traces.Headers["Content-Type"]);
        Assert.Contains(received, x => x.Path == "/v1/metrics" && x.Body.Contains("metronome.run.lateness", StringComparison.Ordinal));
    }
}
