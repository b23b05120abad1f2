using Metronome.Testing.Peers;
using System.Text;
using Metronome.Core.Execution;
using Metronome.Testing;
using Microsoft.AspNetCore.WebUtilities;

namespace Metronome.Events.Tests.Notification;

public sealed class SmsChannelTests(ProviderListener twilio) : IClassFixture<ProviderListener>
{
    private const string Created = """{"sid": "SM123", "status": "queued"}""";

    private readonly IEventExecutor _executor = TestContexts.Executor("notification");

    private static string Definition(string baseUrl, string token = "{{secrets.TOKEN}}") => $$$"""
        {"channel": "sms", "provider": "twilio", "base_url": "{{{baseUrl}}}", "account_sid": "AC123", "auth_token": "{{{token}}}",
         "from": "+15550001", "to": "{{input.phone}}", "body": "Run {{run.slot}} & done: {{input.who}}"}
        """;

    private Task<ExecutionOutcome> Execute(string definition) => _executor.ExecuteAsync(
        TestContexts.For("notification", definition, """{"who": "Ada L.", "phone": "+15550002"}"""), CancellationToken.None);

    [Fact]
    public async Task Sms_posts_form_fields_with_basic_auth_and_succeeds_on_201()
    {
        var baseUrl = twilio.Mount(201, Created);

        var outcome = await Execute(Definition(baseUrl));

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var request = Assert.Single(twilio.RequestsUnder(baseUrl));
        Assert.Equal("POST", request.Method);
        Assert.EndsWith("/2010-04-01/Accounts/AC123/Messages.json", request.Path);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("AC123:s3cret")), request.Headers["Authorization"]);
        Assert.StartsWith("application/x-www-form-urlencoded", request.ContentType);
        var form = QueryHelpers.ParseQuery(request.Body);
        Assert.Equal("+15550002", form["To"].ToString());
        Assert.Equal("+15550001", form["From"].ToString());
        Assert.Equal("Run 42 & done: Ada L.", form["Body"].ToString());
        Assert.Equal("SM123", TestContexts.Json(outcome.OutputJson).GetProperty("body").GetProperty("sid").GetString());
    }

    [Fact]
    public async Task Refused_credentials_fail_with_auth_failed()
    {
        var baseUrl = twilio.Mount(401, """{"code": 20003, "message": "Authenticate", "status": 401}""");

        var outcome = await Execute(Definition(baseUrl, "wrong"));

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.AuthFailed, outcome.ErrorKind);
        Assert.Contains("Authenticate", outcome.ErrorMessage);
    }

    [Fact]
    public async Task Refused_message_fails_with_rejected()
    {
        var baseUrl = twilio.Mount(400, """{"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}""");

        var outcome = await Execute(Definition(baseUrl));

        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
        Assert.Contains("not a valid phone number", outcome.ErrorMessage);
    }

    [Fact]
    public async Task Closed_port_fails_with_connection_refused()
    {
        var outcome = await Execute(Definition($"http://127.0.0.1:{FreePort.Next()}"));

        Assert.Equal(ErrorKinds.ConnectionRefused, outcome.ErrorKind);
    }
}
