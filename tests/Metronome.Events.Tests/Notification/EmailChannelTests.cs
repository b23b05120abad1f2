using Metronome.Testing.Peers;
using Metronome.Core.Execution;
using Metronome.Testing;

namespace Metronome.Events.Tests.Notification;

public sealed class EmailChannelTests(SmtpSink sink) : IClassFixture<SmtpSink>
{
    private readonly IEventExecutor _executor = TestContexts.Executor("notification");

    private static string Definition(int port, string extra = "", string tls = "none", string to = """["ops+{{run.slot}}@example.com", "{{input.cc}}"]""") => $$$"""
        {"channel": "email", "smtp": {"host": "127.0.0.1", "port": {{{port}}}, "tls": "{{{tls}}}"{{{extra}}}},
         "from": "Metronome <jobs@example.com>", "to": {{{to}}},
         "subject": "Run {{run.slot}} of {{job.tag}}", "body": "Hello {{input.who}}, token {{secrets.TOKEN}}"}
        """;

    private Task<ExecutionOutcome> Execute(string definition, string input = """{"who": "Ada", "cc": "audit@example.com"}""") =>
        _executor.ExecuteAsync(TestContexts.For("notification", definition, input), CancellationToken.None);

    [Fact]
    public async Task Email_is_delivered_with_rendered_envelope_headers_and_body()
    {
        var who = Guid.NewGuid().ToString("N");
        var outcome = await Execute(Definition(sink.Port), $$"""{"who": "{{who}}", "cc": "audit@example.com"}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var sunk = await sink.WaitForAsync(m => m.Message.TextBody is { } text && text.Contains(who, StringComparison.Ordinal));
        Assert.Equal("jobs@example.com", sunk.MailFrom);
        Assert.Equal(["ops+42@example.com", "audit@example.com"], sunk.RcptTo);
        Assert.Equal("Run 42 of nightly", sunk.Message.Subject);
        Assert.Equal($"Hello {who}, token s3cret", sunk.Message.TextBody?.TrimEnd());
        Assert.Equal("Metronome", sunk.Message.From.Mailboxes.Single().Name);
        Assert.Equal("acme/nightly/42", sunk.Message.Headers["X-Idempotency-Key"]);
        var output = TestContexts.Json(outcome.OutputJson);
        Assert.Equal(["ops+42@example.com", "audit@example.com"], output.GetProperty("recipients").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Email_with_credentials_authenticates_and_html_body_is_sent_as_html()
    {
        await using var authenticating = await SmtpSink.StartAuthenticatingAsync("mailer", "s3cret");
        var marker = Guid.NewGuid().ToString("N");
        var definition = $$$"""
            {"channel": "email", "smtp": {"host": "127.0.0.1", "port": {{{authenticating.Port}}}, "tls": "none", "username": "mailer", "password": "{{secrets.TOKEN}}"},
             "from": "jobs@example.com", "to": ["ops@example.com"], "subject": "html", "body": "<p>{{{marker}}}</p>", "html": true}
            """;

        var outcome = await Execute(definition);

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var sunk = await authenticating.WaitForAsync(m => m.Message.HtmlBody is { } html && html.Contains(marker, StringComparison.Ordinal));
        Assert.Equal(["ops@example.com"], sunk.RcptTo);
        Assert.Null(sunk.Message.TextBody);
        Assert.Equal("text/html", sunk.Message.Body?.ContentType.MimeType);
    }

    [Fact]
    public async Task Wrong_password_fails_with_auth_failed()
    {
        await using var authenticating = await SmtpSink.StartAuthenticatingAsync("mailer", "right");
        var outcome = await Execute(Definition(authenticating.Port, """, "username": "mailer", "password": "{{secrets.TOKEN}}" """));

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.AuthFailed, outcome.ErrorKind);
        Assert.Empty(authenticating.Messages());
    }

    [Fact]
    public async Task Missing_credentials_on_a_server_that_requires_them_fail_with_auth_failed()
    {
        await using var authenticating = await SmtpSink.StartAuthenticatingAsync("mailer", "right");
        var outcome = await Execute(Definition(authenticating.Port));

        Assert.Equal(ErrorKinds.AuthFailed, outcome.ErrorKind);
    }

    [Fact]
    public async Task Credentials_refused_with_535_fail_with_auth_failed()
    {
        await using var refusing = await SmtpSink.StartAsync("-f", "AUTH", "-B", "535 5.7.8 Authentication credentials invalid");
        var outcome = await Execute(Definition(refusing.Port, """, "username": "mailer", "password": "wrong" """));

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.AuthFailed, outcome.ErrorKind);
    }

    [Fact]
    public async Task Refused_recipient_fails_with_rejected()
    {
        await using var refusing = await SmtpSink.StartAsync("-f", "RCPT", "-B", "550 5.1.1 No such user");
        var outcome = await Execute(Definition(refusing.Port));

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
        Assert.Contains("ops+42@example.com", outcome.ErrorMessage);
    }

    [Fact]
    public async Task Closed_port_fails_with_connection_refused()
    {
        var outcome = await Execute(Definition(FreePort.Next()));

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.ConnectionRefused, outcome.ErrorKind);
    }

    [Fact]
    public async Task Starttls_against_a_server_without_starttls_fails_with_rejected()
    {
        await using var plain = await SmtpSink.StartAsync();
        var outcome = await Execute(Definition(plain.Port, tls: "starttls"));

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
        Assert.Empty(plain.Messages());
    }

    [Fact]
    public async Task Implicit_tls_against_a_plain_server_fails_without_sending()
    {
        await using var plain = await SmtpSink.StartAsync();
        var outcome = await Execute(WithTimeout(Definition(plain.Port, tls: "tls"), 3000));

        Assert.False(outcome.Succeeded);
        // smtp-sink greets in plain text, which is no TLS handshake (or never completes one before the timeout).
        Assert.Contains(outcome.ErrorKind, new[] { ErrorKinds.Rejected, ErrorKinds.Timeout });
        Assert.Empty(plain.Messages());
    }

    [Fact]
    public async Task Server_that_never_greets_fails_with_timeout_at_the_definition_timeout()
    {
        await using var silent = await SmtpSink.StartAsync("-W", "CONNECT:30");
        var definition = WithTimeout(Definition(silent.Port), 300);

        var started = DateTime.UtcNow;
        var outcome = await Execute(definition);

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.Timeout, outcome.ErrorKind);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Recipient_that_renders_to_no_address_fails_without_connecting()
    {
        var outcome = await Execute(Definition(FreePort.Next(), to: """["{{input.nobody}}"]"""));

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.Exception, outcome.ErrorKind);
        Assert.Contains("definition.to", outcome.ErrorMessage);
    }

    private static string WithTimeout(string definition, int ms) =>
        definition.Replace("\"channel\": \"email\",", $"\"channel\": \"email\", \"timeout_ms\": {ms},", StringComparison.Ordinal);
}
