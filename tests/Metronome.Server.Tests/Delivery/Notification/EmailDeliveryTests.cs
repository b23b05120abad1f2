using Metronome.Testing.Peers;
using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing;

namespace Metronome.Server.Tests.Delivery.Notification;

public sealed class EmailDeliveryTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static string Definition(int port, string password = "{{secrets.SMTP_PASSWORD}}") => $$$"""
        {"channel": "email", "smtp": {"host": "127.0.0.1", "port": {{{port}}}, "tls": "none", "username": "mailer", "password": "{{{password}}}"},
         "from": "Metronome <jobs@example.com>", "to": ["ops@example.com", "{{input.cc}}"],
         "subject": "Run {{run.slot}} of {{job.tag}}", "body": "Hello {{input.who}} ({{input.marker}})", "html": false}
        """;

    [Fact]
    public async Task Email_job_with_three_executions_delivers_three_rendered_messages_using_the_secret_password()
    {
        await using var smtp = await SmtpSink.StartAuthenticatingAsync("mailer", "pa55-w0rd");
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["SMTP_PASSWORD"] = "pa55-w0rd" });
        var marker = Guid.NewGuid().ToString("N");
        var ev = await scenario.CreateEventAsync("notification", Definition(smtp.Port));

        var job = await scenario.StartJobAsync("notification", ev, executions: 3,
            inputJson: $$"""{"who": "Ada", "cc": "audit@example.com", "marker": "{{marker}}"}""");
        var runs = await scenario.WaitForRunsAsync(job, 3);

        DeliveryScenario.AssertAllSucceeded(runs, 3);
        var messages = smtp.Messages();
        Assert.Equal(3, messages.Count);
        Assert.Equal(DeliveryScenario.Slots(runs).Select(s => $"Run {s} of {job}").Order(StringComparer.Ordinal), messages.Select(m => m.Message.Subject).Order(StringComparer.Ordinal));
        Assert.All(messages, m =>
        {
            Assert.Equal("jobs@example.com", m.MailFrom);
            Assert.Equal(["ops@example.com", "audit@example.com"], m.RcptTo);
            Assert.Equal($"Hello Ada ({marker})", m.Message.TextBody?.TrimEnd());
        });
        Assert.Equal(DeliveryScenario.Slots(runs).Select(s => $"{scenario.Product}/{job}/{s}").Order(StringComparer.Ordinal),
            messages.Select(m => m.Message.Headers["X-Idempotency-Key"]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Email_job_with_the_smtp_server_down_records_connection_refused_and_keeps_firing()
    {
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["SMTP_PASSWORD"] = "x" });
        var ev = await scenario.CreateEventAsync("notification", Definition(FreePort.Next()));

        var job = await scenario.StartJobAsync("notification", ev, executions: 2, inputJson: """{"cc": "audit@example.com"}""");

        DeliveryScenario.AssertAllFailed(await scenario.WaitForRunsAsync(job, 2), 2, "connection_refused");
    }

    [Fact]
    public async Task Email_job_with_a_wrong_password_records_auth_failed_and_keeps_firing()
    {
        await using var smtp = await SmtpSink.StartAuthenticatingAsync("mailer", "right");
        var scenario = await DeliveryScenario.StartAsync(fixture.Server, new Dictionary<string, string> { ["SMTP_PASSWORD"] = "wrong" });
        var ev = await scenario.CreateEventAsync("notification", Definition(smtp.Port));

        var job = await scenario.StartJobAsync("notification", ev, executions: 2, inputJson: """{"cc": "audit@example.com"}""");

        DeliveryScenario.AssertAllFailed(await scenario.WaitForRunsAsync(job, 2), 2, "auth_failed");
        Assert.Empty(smtp.Messages());
    }

    [Fact]
    public async Task Invalid_notification_definitions_are_rejected_with_400_naming_the_field()
    {
        var scenario = await DeliveryScenario.StartAsync(fixture.Server);

        var (missingHost, hostBody) = await scenario.TryCreateEventAsync("notification",
            """{"channel": "email", "smtp": {"port": 25}, "from": "a@example.com", "to": ["b@example.com"], "subject": "s"}""");
        var (badChannel, channelBody) = await scenario.TryCreateEventAsync("notification", """{"channel": "pigeon"}""");
        var (badTemplate, templateBody) = await scenario.TryCreateEventAsync("notification",
            """{"channel": "sms", "account_sid": "AC1", "auth_token": "{{env.TOKEN}}", "from": "+1", "to": "+2", "body": "b"}""");

        Assert.Equal(400, missingHost);
        Assert.Contains("definition.smtp.host", hostBody);
        Assert.Equal(400, badChannel);
        Assert.Contains("definition.channel", channelBody);
        Assert.Equal(400, badTemplate);
        Assert.Contains("definition.auth_token", templateBody);
    }
}
