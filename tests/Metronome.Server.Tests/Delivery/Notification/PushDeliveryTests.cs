using Metronome.Testing.Peers;
using System.Text.Json;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests.Delivery.Notification;

public sealed class PushDeliveryTests(ServerFixture fixture, ProviderListener expo) : IClassFixture<ServerFixture>, IClassFixture<ProviderListener>
{
    private static string Definition(string baseUrl) => $$$"""
        {"channel": "push", "provider": "expo", "base_url": "{{{baseUrl}}}", "to": ["ExponentPushToken[{{input.device}}]"],
         "title": "Run {{run.slot}}", "body": "Hi {{input.who}}", "data": {"slot": "{{run.slot}}", "job": "{{job.tag}}"},
         "access_token": "{{secrets.EXPO_TOKEN}}"}
        """;

    [Fact]
    public async Task Push_job_with_three_executions_sends_three_expo_messages_with_the_secret_access_token()
    {
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["EXPO_TOKEN"] = "expo-s3cret" });
        var baseUrl = expo.Mount(200, """{"data": [{"status": "ok", "id": "0a1b2c3d"}]}""");
        var ev = await scenario.CreateEventAsync("notification", Definition(baseUrl));

        var job = await scenario.StartJobAsync("notification", ev, executions: 3, inputJson: """{"device": "abc", "who": "Ada"}""");
        var runs = await scenario.WaitForRunsAsync(job, 3);

        DeliveryScenario.AssertAllSucceeded(runs, 3);
        var requests = expo.RequestsUnder(baseUrl);
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r =>
        {
            Assert.Equal("POST", r.Method);
            Assert.EndsWith("/--/api/v2/push/send", r.Path);
            Assert.Equal("Bearer expo-s3cret", r.Headers["Authorization"]);
            Assert.StartsWith("application/json", r.ContentType);
        });
        var messages = requests.Select(r => JsonDocument.Parse(r.Body).RootElement).OrderBy(m => m.GetProperty("data").GetProperty("slot").GetInt64()).ToList();
        Assert.Equal(DeliveryScenario.Slots(runs).Select(s => $"Run {s}"), messages.Select(m => m.GetProperty("title").GetString()));
        Assert.All(messages, m =>
        {
            Assert.Equal("ExponentPushToken[abc]", Assert.Single(m.GetProperty("to").EnumerateArray()).GetString());
            Assert.Equal("Hi Ada", m.GetProperty("body").GetString());
            Assert.Equal(job, m.GetProperty("data").GetProperty("job").GetString());
        });
    }

    [Fact]
    public async Task Push_job_with_refused_credentials_records_auth_failed_and_keeps_firing()
    {
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["EXPO_TOKEN"] = "revoked" });
        var baseUrl = expo.Mount(401, """{"errors": [{"code": "UNAUTHORIZED", "message": "The bearer token is invalid."}]}""");
        var ev = await scenario.CreateEventAsync("notification", Definition(baseUrl));

        var job = await scenario.StartJobAsync("notification", ev, executions: 2, inputJson: """{"device": "abc"}""");

        DeliveryScenario.AssertAllFailed(await scenario.WaitForRunsAsync(job, 2), 2, "auth_failed");
        Assert.Equal(2, expo.RequestsUnder(baseUrl).Count);
    }

    [Fact]
    public async Task Push_job_with_an_error_ticket_records_rejected()
    {
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["EXPO_TOKEN"] = "t" });
        var baseUrl = expo.Mount(200, """{"data": [{"status": "error", "message": "not registered", "details": {"error": "DeviceNotRegistered"}}]}""");
        var ev = await scenario.CreateEventAsync("notification", Definition(baseUrl));

        var job = await scenario.StartJobAsync("notification", ev, executions: 2, inputJson: """{"device": "gone"}""");

        DeliveryScenario.AssertAllFailed(await scenario.WaitForRunsAsync(job, 2), 2, "rejected");
    }
}
