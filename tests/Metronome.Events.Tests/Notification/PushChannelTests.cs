using Metronome.Testing.Peers;
using System.Text.Json;
using Metronome.Core.Execution;
using Metronome.Testing;

namespace Metronome.Events.Tests.Notification;

public sealed class PushChannelTests(ProviderListener expo) : IClassFixture<ProviderListener>
{
    private const string OkTickets = """{"data": [{"status": "ok", "id": "XXXX-1"}, {"status": "ok", "id": "XXXX-2"}]}""";

    private readonly IEventExecutor _executor = TestContexts.Executor("notification");

    private static string Definition(string baseUrl, string extra = "") => $$$"""
        {"channel": "push", "provider": "expo", "base_url": "{{{baseUrl}}}", "to": ["ExponentPushToken[a]", "{{input.device}}"],
         "title": "Run {{run.slot}}", "body": "Hi {{input.who}}", "data": {"slot": "{{run.slot}}", "job": "{{job.tag}}", "k": "v"}{{{extra}}}}
        """;

    private Task<ExecutionOutcome> Execute(string definition) => _executor.ExecuteAsync(
        TestContexts.For("notification", definition, """{"who": "Ada", "device": "ExponentPushToken[b]"}"""), CancellationToken.None);

    [Fact]
    public async Task Push_posts_the_expo_message_with_the_access_token_and_succeeds_on_ok_tickets()
    {
        var baseUrl = expo.Mount(200, OkTickets);

        var outcome = await Execute(Definition(baseUrl, """, "access_token": "{{secrets.TOKEN}}" """));

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var request = Assert.Single(expo.RequestsUnder(baseUrl));
        Assert.Equal("POST", request.Method);
        Assert.EndsWith("/--/api/v2/push/send", request.Path);
        Assert.Equal("Bearer s3cret", request.Headers["Authorization"]);
        Assert.StartsWith("application/json", request.ContentType);
        var message = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal(["ExponentPushToken[a]", "ExponentPushToken[b]"], message.GetProperty("to").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Run 42", message.GetProperty("title").GetString());
        Assert.Equal("Hi Ada", message.GetProperty("body").GetString());
        Assert.Equal(42, message.GetProperty("data").GetProperty("slot").GetInt64());
        Assert.Equal("nightly", message.GetProperty("data").GetProperty("job").GetString());
        Assert.Equal("XXXX-1", TestContexts.Json(outcome.OutputJson).GetProperty("body").GetProperty("data")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Push_without_access_token_sends_no_authorization_header()
    {
        var baseUrl = expo.Mount(200, """{"data": {"status": "ok", "id": "single"}}""");

        var outcome = await Execute(Definition(baseUrl));

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.False(Assert.Single(expo.RequestsUnder(baseUrl)).Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task Error_ticket_fails_with_rejected()
    {
        var baseUrl = expo.Mount(200, """
            {"data": [{"status": "ok", "id": "1"}, {"status": "error", "message": "\"ExponentPushToken[b]\" is not a registered push notification recipient",
              "details": {"error": "DeviceNotRegistered"}}]}
            """);

        var outcome = await Execute(Definition(baseUrl));

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
        Assert.Contains("1 of 2", outcome.ErrorMessage);
        Assert.Contains("DeviceNotRegistered", outcome.ErrorMessage);
    }

    [Fact]
    public async Task InvalidCredentials_ticket_fails_with_auth_failed()
    {
        var baseUrl = expo.Mount(200, """{"data": [{"status": "error", "message": "bad token", "details": {"error": "InvalidCredentials"}}]}""");

        var outcome = await Execute(Definition(baseUrl, """, "access_token": "wrong" """));

        Assert.Equal(ErrorKinds.AuthFailed, outcome.ErrorKind);
    }

    [Theory]
    [InlineData(401, ErrorKinds.AuthFailed)]
    [InlineData(403, ErrorKinds.AuthFailed)]
    [InlineData(400, ErrorKinds.Rejected)]
    [InlineData(500, ErrorKinds.Rejected)]
    public async Task Unexpected_status_maps_to_an_error_kind(int status, string kind)
    {
        var baseUrl = expo.Mount(status, """{"errors": [{"code": "X", "message": "no"}]}""");

        var outcome = await Execute(Definition(baseUrl));

        Assert.False(outcome.Succeeded);
        Assert.Equal(kind, outcome.ErrorKind);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), outcome.ErrorMessage);
    }

    [Fact]
    public async Task Request_level_errors_in_a_200_fail_with_rejected()
    {
        var baseUrl = expo.Mount(200, """{"errors": [{"code": "PUSH_TOO_MANY_EXPERIENCE_IDS", "message": "mixed projects"}]}""");

        var outcome = await Execute(Definition(baseUrl));

        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
        Assert.Contains("mixed projects", outcome.ErrorMessage);
    }

    [Fact]
    public async Task Closed_port_fails_with_connection_refused()
    {
        var outcome = await Execute(Definition($"http://127.0.0.1:{FreePort.Next()}"));

        Assert.Equal(ErrorKinds.ConnectionRefused, outcome.ErrorKind);
    }
}
