using Metronome.Testing.Peers;
using System.Text;
using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing;
using Microsoft.AspNetCore.WebUtilities;

namespace Metronome.Server.Tests.Delivery.Notification;

public sealed class SmsDeliveryTests(ServerFixture fixture, ProviderListener twilio) : IClassFixture<ServerFixture>, IClassFixture<ProviderListener>
{
    private static string Definition(string baseUrl) => $$$"""
        {"channel": "sms", "provider": "twilio", "base_url": "{{{baseUrl}}}", "account_sid": "AC123", "auth_token": "{{secrets.TWILIO}}",
         "from": "+15550001", "to": "{{input.phone}}", "body": "Run {{run.slot}} for {{input.who}}"}
        """;

    [Fact]
    public async Task Sms_job_with_three_executions_creates_three_messages_with_basic_auth_from_the_secret()
    {
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["TWILIO"] = "twilio-s3cret" });
        var baseUrl = twilio.Mount(201, """{"sid": "SM1", "status": "queued"}""");
        var ev = await scenario.CreateEventAsync("notification", Definition(baseUrl));

        var job = await scenario.StartJobAsync("notification", ev, executions: 3, inputJson: """{"phone": "+15550002", "who": "Ada & co"}""");
        var runs = await scenario.WaitForRunsAsync(job, 3);

        DeliveryScenario.AssertAllSucceeded(runs, 3);
        var requests = twilio.RequestsUnder(baseUrl);
        Assert.Equal(3, requests.Count);
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("AC123:twilio-s3cret"));
        Assert.All(requests, r =>
        {
            Assert.Equal("POST", r.Method);
            Assert.EndsWith("/2010-04-01/Accounts/AC123/Messages.json", r.Path);
            Assert.Equal(basic, r.Headers["Authorization"]);
            Assert.StartsWith("application/x-www-form-urlencoded", r.ContentType);
        });
        var forms = requests.Select(r => QueryHelpers.ParseQuery(r.Body)).ToList();
        Assert.All(forms, f =>
        {
            Assert.Equal("+15550002", f["To"].ToString());
            Assert.Equal("+15550001", f["From"].ToString());
        });
        Assert.Equal(DeliveryScenario.Slots(runs).Select(s => $"Run {s} for Ada & co").Order(StringComparer.Ordinal), forms.Select(f => f["Body"].ToString()).Order(StringComparer.Ordinal));
        Assert.All(runs, r => Assert.Equal("SM1", r.Output?.GetProperty("body").GetProperty("sid").GetString()));
    }

    [Fact]
    public async Task Sms_job_with_a_wrong_auth_token_records_auth_failed_and_keeps_firing()
    {
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["TWILIO"] = "wrong" });
        var baseUrl = twilio.Mount(401, """{"code": 20003, "message": "Authenticate", "status": 401}""");
        var ev = await scenario.CreateEventAsync("notification", Definition(baseUrl));

        var job = await scenario.StartJobAsync("notification", ev, executions: 2, inputJson: """{"phone": "+15550002"}""");

        DeliveryScenario.AssertAllFailed(await scenario.WaitForRunsAsync(job, 2), 2, "auth_failed");
    }

    [Fact]
    public async Task Sms_job_with_the_provider_down_records_connection_refused()
    {
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["TWILIO"] = "t" });
        var ev = await scenario.CreateEventAsync("notification", Definition($"http://127.0.0.1:{FreePort.Next()}"));

        var job = await scenario.StartJobAsync("notification", ev, executions: 2, inputJson: """{"phone": "+15550002"}""");

        DeliveryScenario.AssertAllFailed(await scenario.WaitForRunsAsync(job, 2), 2, "connection_refused");
    }
}
