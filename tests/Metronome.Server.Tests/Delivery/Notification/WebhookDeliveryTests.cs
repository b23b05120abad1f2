using System.Text.Json;
using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing;

namespace Metronome.Server.Tests.Delivery.Notification;

public sealed class WebhookDeliveryTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static string Definition(string url) => $$$"""
        {"channel": "webhook", "method": "POST", "url": "{{{url}}}", "headers": {"X-Token": "{{secrets.HOOK_TOKEN}}"},
         "body": {"text": "run {{run.id}}", "slot": "{{run.slot}}", "who": "{{input.who}}"}}
        """;

    [Fact]
    public async Task Webhook_job_with_three_executions_posts_three_rendered_requests_with_the_secret_header()
    {
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["HOOK_TOKEN"] = "hook-s3cret" });
        var path = $"/hook/{Guid.NewGuid():N}";
        var ev = await scenario.CreateEventAsync("notification", Definition(new Uri(fixture.Target.Url, path).ToString()));

        var job = await scenario.StartJobAsync("notification", ev, executions: 3, inputJson: """{"who": "Ada"}""");
        var runs = await scenario.WaitForRunsAsync(job, 3);

        DeliveryScenario.AssertAllSucceeded(runs, 3);
        var requests = fixture.Target.Requests.Where(r => r.Path == path).ToList();
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r =>
        {
            Assert.Equal("POST", r.Method);
            Assert.Equal("hook-s3cret", r.Token);
        });
        var bodies = requests.Select(r => JsonDocument.Parse(r.Body).RootElement).OrderBy(b => b.GetProperty("slot").GetInt64()).ToList();
        Assert.Equal(DeliveryScenario.Slots(runs), bodies.Select(b => b.GetProperty("slot").GetInt64()));
        Assert.Equal(runs.Select(r => "run " + r.Id), bodies.Select(b => b.GetProperty("text").GetString()));
        Assert.All(bodies, b => Assert.Equal("Ada", b.GetProperty("who").GetString()));
        Assert.Equal(DeliveryScenario.Slots(runs).Select(s => $"{scenario.Product}/{job}/{s}").Order(StringComparer.Ordinal), requests.Select(r => r.IdempotencyKey).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Webhook_job_with_the_target_down_records_connection_refused_and_keeps_firing()
    {
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["HOOK_TOKEN"] = "x" });
        var ev = await scenario.CreateEventAsync("notification", Definition($"http://127.0.0.1:{FreePort.Next()}/hook"));

        var job = await scenario.StartJobAsync("notification", ev, executions: 2);

        DeliveryScenario.AssertAllFailed(await scenario.WaitForRunsAsync(job, 2), 2, "connection_refused");
    }
}
