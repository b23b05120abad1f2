using System.Net;
using System.Net.Sockets;
using System.Text;
using Metronome.Core.Execution;

namespace Metronome.Events.Tests.Security;

/// <summary>The egress policy, redirects and header injection, through the real executors and a real listener.</summary>
public sealed class HttpEgressTests(TestHttpServer server) : IClassFixture<TestHttpServer>
{
    private static string Unique(string prefix = "/echo") => $"{prefix}/{Guid.NewGuid():N}";

    private static Task<ExecutionOutcome> Run(IEventExecutor executor, string type, string definition, string input = "{}",
        IReadOnlyDictionary<string, string>? secrets = null) =>
        executor.ExecuteAsync(TestContexts.For(type, definition, input, secrets), CancellationToken.None);

    [Fact]
    public async Task Deny_list_refuses_loopback_for_actions_webhooks_push_and_sms_and_nothing_arrives()
    {
        using var executors = new SecureExecutors(o => o.EgressDeny.Add("127.0.0.0/8"));
        var action = Unique();
        var hook = Unique();

        var outcomes = new[]
        {
            await Run(executors.Executor("action"), "action", $$"""{"url": "{{server.BaseUrl}}{{action}}"}"""),
            await Run(executors.Executor("notification"), "notification", $$"""{"channel": "webhook", "url": "{{server.BaseUrl}}{{hook}}"}"""),
            await Run(executors.Executor("notification"), "notification",
                $$"""{"channel": "push", "base_url": "{{server.BaseUrl}}", "to": ["ExponentPushToken[x]"], "body": "hi"}"""),
            await Run(executors.Executor("notification"), "notification",
                $$"""{"channel": "sms", "base_url": "{{server.BaseUrl}}", "account_sid": "AC1", "auth_token": "t", "from": "+1", "to": "+2", "body": "b"}"""),
        };

        Assert.All(outcomes, o => Assert.Equal(ErrorKinds.EgressDenied, o.ErrorKind));
        Assert.Contains("METRONOME_EGRESS_DENY", outcomes[0].ErrorMessage);
        Assert.Throws<InvalidOperationException>(() => server.RequestTo(action));
        Assert.Throws<InvalidOperationException>(() => server.RequestTo(hook));
    }

    [Fact]
    public async Task Localhost_by_name_is_refused_on_its_resolved_address()
    {
        using var executors = new SecureExecutors(o => o.EgressDeny.Add("127.0.0.0/8"));
        var port = new Uri(server.BaseUrl).Port;

        var outcome = await Run(executors.Executor("action"), "action", $$"""{"url": "http://localhost:{{port}}{{Unique()}}"}""");

        Assert.Equal(ErrorKinds.EgressDenied, outcome.ErrorKind);
    }

    [Fact]
    public async Task The_metadata_address_is_refused_by_default_without_connecting()
    {
        using var executors = new SecureExecutors();
        var started = DateTime.UtcNow;

        var outcome = await Run(executors.Executor("action"), "action", """{"url": "http://169.254.169.254/latest/meta-data/"}""");

        Assert.Equal(ErrorKinds.EgressDenied, outcome.ErrorKind);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task An_allow_list_without_loopback_refuses_it()
    {
        using var executors = new SecureExecutors(o => o.EgressAllow.Add("10.0.0.0/8"));

        var outcome = await Run(executors.Executor("action"), "action", $$"""{"url": "{{server.BaseUrl}}{{Unique()}}"}""");

        Assert.Equal(ErrorKinds.EgressDenied, outcome.ErrorKind);
        Assert.Contains("METRONOME_EGRESS_ALLOW", outcome.ErrorMessage);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_unless_the_definition_asks()
    {
        using var executors = new SecureExecutors();
        var target = Unique();
        var redirect = $"{server.BaseUrl}/redirect/302{Unique("")}?to={Uri.EscapeDataString(server.BaseUrl + target)}";

        var outcome = await Run(executors.Executor("action"), "action", $$"""{"url": "{{redirect}}"}""");

        Assert.Equal(ErrorKinds.HttpStatus, outcome.ErrorKind);
        Assert.Equal(302, TestContexts.Json(outcome.OutputJson).GetProperty("status").GetInt32());
        Assert.Throws<InvalidOperationException>(() => server.RequestTo(target));
    }

    [Fact]
    public async Task A_followed_redirect_to_another_origin_drops_the_definition_headers_and_a_same_origin_one_keeps_them()
    {
        using var executors = new SecureExecutors();
        var port = new Uri(server.BaseUrl).Port;
        var crossTarget = Unique();
        var sameTarget = Unique();
        // 127.0.0.1 and localhost are different origins (a different host), yet the same listener.
        var cross = $"{server.BaseUrl}/redirect/307{Unique("")}?to={Uri.EscapeDataString($"http://localhost:{port}{crossTarget}")}";
        var same = $"{server.BaseUrl}/redirect/302{Unique("")}?to={Uri.EscapeDataString(sameTarget)}";
        const string headers = """{"X-Api-Key": "{{secrets.TOKEN}}", "Authorization": "Bearer {{secrets.TOKEN}}"}""";

        var crossOutcome = await Run(executors.Executor("action"), "action",
            $$$"""{"method": "POST", "url": "{{{cross}}}", "follow_redirects": true, "headers": {{{headers}}}, "body": {"a": 1}}""");
        var sameOutcome = await Run(executors.Executor("notification"), "notification",
            $$"""{"channel": "webhook", "url": "{{same}}", "follow_redirects": true, "headers": {{headers}}}""");

        Assert.True(crossOutcome.Succeeded, crossOutcome.ErrorMessage);
        var crossRequest = server.RequestTo(crossTarget);
        Assert.False(crossRequest.Headers.ContainsKey("X-Api-Key"));
        Assert.False(crossRequest.Headers.ContainsKey("Authorization"));
        Assert.Equal("POST", crossRequest.Method);
        Assert.Equal("acme/nightly/42", crossRequest.Headers["Idempotency-Key"]);
        Assert.True(sameOutcome.Succeeded, sameOutcome.ErrorMessage);
        Assert.Equal("s3cret", server.RequestTo(sameTarget).Headers["X-Api-Key"]);
    }

    [Fact]
    public async Task Every_redirect_hop_passes_the_egress_check()
    {
        using var executors = new SecureExecutors();
        var redirect = $"{server.BaseUrl}/redirect/302{Unique("")}?to={Uri.EscapeDataString("http://169.254.169.254/latest/meta-data/")}";

        var outcome = await Run(executors.Executor("action"), "action", $$"""{"url": "{{redirect}}", "follow_redirects": true}""");

        Assert.Equal(ErrorKinds.EgressDenied, outcome.ErrorKind);
    }

    [Fact]
    public void Follow_redirects_must_be_a_boolean()
    {
        using var executors = new SecureExecutors();

        var errors = TestContexts.ValidationErrorsOf(executors.Executor("action"), """{"url": "http://x.example/", "follow_redirects": "yes"}""");

        Assert.Contains("definition.follow_redirects", errors.Keys);
    }

    [Theory]
    [InlineData("action", """{"url": "http://x.example/", "headers": {"X-User": "a\r\nX-Evil: 1"}}""", "definition.headers.X-User")]
    [InlineData("action", """{"url": "http://x.example/", "headers": {"X-User": "{{input.x}}\n"}}""", "definition.headers.X-User")]
    [InlineData("action", """{"url": "http://x.example/a\r\nb"}""", "definition.url")]
    [InlineData("action", """{"url": "http://x.example/", "headers": {"X-Bad\r\nName": "v"}}""", "definition.headers.X-Bad\r\nName")]
    [InlineData("notification", """{"channel": "webhook", "url": "http://x.example/", "headers": {"X-User": "a\u0000b"}}""", "definition.headers.X-User")]
    public void A_literal_CR_LF_or_NUL_in_a_url_or_header_is_a_validation_error(string type, string definition, string field)
    {
        using var executors = new SecureExecutors();

        var errors = TestContexts.ValidationErrorsOf(executors.Executor(type), definition);

        Assert.Contains(field, errors.Keys);
    }

    [Fact]
    public async Task A_rendered_CR_LF_in_a_header_fails_the_run_as_rejected_and_the_target_receives_nothing()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepting = Metronome.Testing.RawTcp.ReceiveAsync(listener, TimeSpan.FromSeconds(3));
        using var executors = new SecureExecutors();
        var marker = "/injection-" + Guid.NewGuid().ToString("N");
        var injection = $$"""{"x": "a\r\nX-Injected: 1\r\n\r\nGET {{marker}} HTTP/1.1\r\nHost: x\r\n\r\n"}""";

        var action = await Run(executors.Executor("action"), "action",
            $$$"""{"url": "http://127.0.0.1:{{{port}}}{{{marker}}}", "headers": {"X-User": "{{input.x}}"}}""", injection);
        var webhook = await Run(executors.Executor("notification"), "notification",
            $$$"""{"channel": "webhook", "url": "http://127.0.0.1:{{{port}}}{{{marker}}}/{{input.x}}"}""", injection);
        var push = await Run(executors.Executor("notification"), "notification",
            $$$"""{"channel": "push", "base_url": "http://127.0.0.1:{{{port}}}{{{marker}}}", "to": ["t"], "access_token": "{{input.x}}"}""", injection);
        var received = await accepting;

        Assert.Equal(ErrorKinds.Rejected, action.ErrorKind);
        Assert.Equal(ErrorKinds.Rejected, webhook.ErrorKind);
        Assert.Equal(ErrorKinds.Rejected, push.ErrorKind);
        Assert.DoesNotContain(received, r => r.Contains(marker) || r.Contains("X-Injected"));
    }

    [Fact]
    public async Task HttpClient_logs_no_request_url_so_a_secret_in_path_or_host_never_reaches_the_log()
    {
        using var executors = new SecureExecutors();
        var path = "/echo/" + Guid.NewGuid().ToString("N");
        var secrets = new Dictionary<string, string> { ["PATH"] = path.TrimStart('/') };

        var outcome = await Run(executors.Executor("action"), "action", $$$"""{"url": "{{{server.BaseUrl}}}/{{secrets.PATH}}"}""", secrets: secrets);

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.DoesNotContain(executors.Log.Lines, l => l.Contains(path.TrimStart('/'), StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(executors.Log.Lines, l => l.Contains("System.Net.Http.HttpClient", StringComparison.Ordinal));
    }
}
