using System.Text.Json;
using Metronome.Core.Execution;
using Metronome.Testing;

namespace Metronome.Events.Tests.Notification;

public sealed class WebhookChannelTests(TestHttpServer server) : IClassFixture<TestHttpServer>
{
    private readonly IEventExecutor _executor = TestContexts.Executor("notification");

    private Task<ExecutionOutcome> Execute(string definition) => _executor.ExecuteAsync(
        TestContexts.For("notification", definition, """{"who": "Ada"}"""), CancellationToken.None);

    [Fact]
    public async Task Webhook_sends_the_rendered_request_exactly_like_an_action()
    {
        var path = $"/hook/{Guid.NewGuid():N}";
        var definition = $$$"""
            {"channel": "webhook", "method": "POST", "url": "{{{server.BaseUrl}}}{{{path}}}", "headers": {"X-Token": "{{secrets.TOKEN}}"},
             "query": {"who": "{{input.who}}"}, "body": {"text": "run {{run.id}}", "slot": "{{run.slot}}"}}
            """;

        var outcome = await Execute(definition);

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal(200, TestContexts.Json(outcome.OutputJson).GetProperty("status").GetInt32());
        var request = server.RequestTo(path);
        Assert.Equal("POST", request.Method);
        Assert.Equal("?who=Ada", request.Query);
        Assert.Equal("s3cret", request.Headers["X-Token"]);
        Assert.Equal("acme/nightly/42", request.Headers["Idempotency-Key"]);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("run 0197f3a2c1d47a3b9e1f2a3b4c5d6e7f", body.GetProperty("text").GetString());
        Assert.Equal(42, body.GetProperty("slot").GetInt64());
    }

    [Fact]
    public async Task Webhook_keeps_the_action_error_kinds()
    {
        var refused = await Execute($$"""{"channel": "webhook", "url": "http://127.0.0.1:{{FreePort.Next()}}/x"}""");
        var status = await Execute($$"""{"channel": "webhook", "url": "{{server.BaseUrl}}/status/500"}""");
        var expected = await Execute($$"""{"channel": "webhook", "url": "{{server.BaseUrl}}/status/404", "success_status": [404]}""");

        Assert.Equal(ErrorKinds.ConnectionRefused, refused.ErrorKind);
        Assert.Equal(ErrorKinds.HttpStatus, status.ErrorKind);
        Assert.True(expected.Succeeded, expected.ErrorMessage);
    }
}
