using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Metronome.Core.Execution;
using Metronome.Core.Runs;

namespace Metronome.Events.Tests;

public sealed class HttpActionExecutorTests(TestHttpServer server) : IClassFixture<TestHttpServer>
{
    private readonly IEventExecutor _executor = TestContexts.Executor("action");

    private Task<ExecutionOutcome> Execute(string definition, string input = "{}", CancellationToken ct = default) =>
        _executor.ExecuteAsync(TestContexts.For("action", definition, input), ct);

    private static string Unique(string prefix = "/echo") => $"{prefix}/{Guid.NewGuid():N}";

    [Fact]
    public async Task Action_sends_the_rendered_request_with_idempotency_key_and_succeeds_on_2xx()
    {
        var path = Unique();
        var definition = $$$"""
            {"method": "post", "url": "{{{server.BaseUrl}}}{{{path}}}?fixed=1",
             "headers": {"X-Token": "{{secrets.TOKEN}}", "X-Job": "{{job.tag}}"},
             "query": {"source": "metronome", "who": "{{input.who}}"},
             "body": {"job": "{{job.tag}}", "slot": "{{run.slot}}", "who": "{{input.who}}"}}
            """;

        var outcome = await Execute(definition, """{"who": "Ada Lovelace"}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var output = TestContexts.Json(outcome.OutputJson);
        Assert.Equal(200, output.GetProperty("status").GetInt32());
        Assert.True(output.GetProperty("body").GetProperty("ok").GetBoolean());

        var request = server.RequestTo(path);
        Assert.Equal("POST", request.Method);
        Assert.Equal("?fixed=1&source=metronome&who=Ada%20Lovelace", request.Query);
        Assert.Equal("acme/nightly/42", request.Headers["Idempotency-Key"]);
        Assert.Equal("s3cret", request.Headers["X-Token"]);
        Assert.Equal("nightly", request.Headers["X-Job"]);
        Assert.StartsWith("application/json", request.Headers["Content-Type"]);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("nightly", body.GetProperty("job").GetString());
        Assert.Equal(42, body.GetProperty("slot").GetInt64());
        Assert.Equal("Ada Lovelace", body.GetProperty("who").GetString());
    }

    [Fact]
    public async Task Action_defaults_to_GET_without_a_body()
    {
        var path = Unique();
        var outcome = await Execute($$"""{"url": "{{server.BaseUrl}}{{path}}"}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var request = server.RequestTo(path);
        Assert.Equal("GET", request.Method);
        Assert.Equal("", request.Body);
    }

    [Fact]
    public async Task Action_sends_a_string_body_as_plain_text_and_records_a_text_response()
    {
        var path = Unique("/text");
        var outcome = await Execute($$$"""{"method": "PUT", "url": "{{{server.BaseUrl}}}{{{path}}}", "body": "hi {{input.who}}"}""", """{"who": "Ada"}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal("hello", TestContexts.Json(outcome.OutputJson).GetProperty("body").GetString());
        var request = server.RequestTo(path);
        Assert.Equal("hi Ada", request.Body);
        Assert.StartsWith("text/plain", request.Headers["Content-Type"]);
    }

    [Fact]
    public async Task Action_fails_with_http_status_on_an_unexpected_status()
    {
        var outcome = await Execute($$"""{"url": "{{server.BaseUrl}}/status/503"}""");

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.HttpStatus, outcome.ErrorKind);
        Assert.Contains("503", outcome.ErrorMessage);
        Assert.Equal(503, TestContexts.Json(outcome.OutputJson).GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("404", 404, true)]
    [InlineData("[202, 404]", 404, true)]
    [InlineData("[202, 404]", 200, false)]
    public async Task Action_uses_success_status_when_given(string successStatus, int status, bool succeeds)
    {
        var outcome = await Execute($$"""{"url": "{{server.BaseUrl}}/status/{{status}}", "success_status": {{successStatus}}}""");

        Assert.Equal(succeeds, outcome.Succeeded);
        if (!succeeds) Assert.Equal(ErrorKinds.HttpStatus, outcome.ErrorKind);
    }

    [Fact]
    public async Task Action_fails_with_connection_refused_when_nothing_listens()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var outcome = await Execute($$"""{"url": "http://127.0.0.1:{{port}}/x"}""");

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.ConnectionRefused, outcome.ErrorKind);
    }

    [Fact]
    public async Task Action_fails_with_timeout_when_its_own_timeout_fires()
    {
        var watch = Stopwatch.StartNew();
        var outcome = await Execute($$"""{"url": "{{server.BaseUrl}}{{Unique("/slow")}}", "timeout_ms": 200}""");

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.Timeout, outcome.ErrorKind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), watch.Elapsed.ToString());
    }

    [Fact]
    public async Task Action_lets_the_attempt_cancellation_propagate()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Execute($$"""{"url": "{{server.BaseUrl}}{{Unique("/slow")}}", "timeout_ms": 30000}""", ct: cts.Token));
    }

    [Fact]
    public async Task Action_truncates_a_large_response_body()
    {
        var outcome = await Execute($$"""{"url": "{{server.BaseUrl}}/big"}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(outcome.OutputJson!) <= RunLimits.MaxOutputBytes);
        var body = TestContexts.Json(outcome.OutputJson).GetProperty("body").GetString();
        Assert.StartsWith("\"xxxx", body);
        Assert.Contains("…[truncated: ", body);
    }

    [Theory]
    [InlineData("""{}""", "definition.url")]
    [InlineData("""{"url": "/relative"}""", "definition.url")]
    [InlineData("""{"url": "ftp://x.example/"}""", "definition.url")]
    [InlineData("""{"url": "https://x.example/", "method": "NO PE"}""", "definition.method")]
    [InlineData("""{"url": "https://x.example/", "headers": []}""", "definition.headers")]
    [InlineData("""{"url": "https://x.example/", "headers": {"X": {"a": 1}}}""", "definition.headers.X")]
    [InlineData("""{"url": "https://x.example/", "timeout_ms": 0}""", "definition.timeout_ms")]
    [InlineData("""{"url": "https://x.example/", "success_status": [200, "x"]}""", "definition.success_status")]
    [InlineData("""{"url": "https://x.example/", "success_status": 42}""", "definition.success_status")]
    [InlineData("""{"url": "https://x.example/", "body": {"x": "{{nope.a}}"}}""", "definition.body.x")]
    public void Validation_names_the_bad_field(string definition, string field)
    {
        var errors = TestContexts.ValidationErrorsOf(_executor, definition);

        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public void Validation_accepts_a_templated_url_and_the_spec_example()
    {
        Assert.Empty(TestContexts.ValidationErrorsOf(_executor, """{"url": "{{input.base}}/ping"}"""));
        Assert.Empty(TestContexts.ValidationErrorsOf(_executor, """
            {"method": "POST", "url": "https://billing.example/api/ping", "headers": {"X-Token": "{{secrets.BILLING}}"},
             "query": {"source": "metronome"}, "body": {"job": "{{job.tag}}", "slot": "{{run.slot}}"}, "timeout_ms": 5000,
             "success_status": [200, 201]}
            """));
    }

    [Fact]
    public async Task Action_with_a_templated_url_that_renders_invalid_fails_without_sending()
    {
        var outcome = await Execute("""{"url": "{{input.base}}/ping"}""", """{"base": "not a url"}""");

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.Exception, outcome.ErrorKind);
        Assert.Contains("definition.url", outcome.ErrorMessage);
    }
}
