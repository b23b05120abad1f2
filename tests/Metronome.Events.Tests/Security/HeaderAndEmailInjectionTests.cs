using Metronome.Core.Execution;
using Metronome.Testing;
using Metronome.Testing.Peers;

namespace Metronome.Events.Tests.Security;

/// <summary>Broker headers and email recipients cannot be extended by a value, literal or rendered.</summary>
public sealed class HeaderAndEmailInjectionTests(SmtpSink sink) : IClassFixture<SmtpSink>
{
    private static Task<ExecutionOutcome> Run(string type, string definition, string input) =>
        TestContexts.Executor(type).ExecuteAsync(TestContexts.For(type, definition, input), CancellationToken.None);

    [Theory]
    [InlineData("""{"broker": "rabbitmq", "connection": "amqp://guest:guest@127.0.0.1:5672/", "topic": "t", "message": "m", "headers": {"x-a": "1\r\nx-b: 2"}}""")]
    [InlineData("""{"broker": "nats", "connection": "nats://127.0.0.1:4222", "topic": "t", "message": "m", "headers": {"X-A": "{{input.x}}\n"}}""")]
    [InlineData("""{"broker": "redis", "connection": "127.0.0.1:6379", "topic": "t", "message": "m", "headers": {"a\u0000b": "v"}}""")]
    public void A_literal_CR_LF_or_NUL_in_a_broker_header_is_a_validation_error(string definition)
    {
        var errors = TestContexts.ValidationErrorsOf(TestContexts.Executor("messagebroker"), definition);

        Assert.Contains(errors.Keys, k => k.StartsWith("definition.headers.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("rabbitmq", "amqp://guest:guest@127.0.0.1:1/")]
    [InlineData("nats", "nats://127.0.0.1:1")]
    [InlineData("redis", "127.0.0.1:1")]
    public async Task A_rendered_CR_LF_in_a_broker_header_is_rejected_before_connecting(string broker, string connection)
    {
        var definition = $$$"""{"broker": "{{{broker}}}", "connection": "{{{connection}}}", "topic": "t", "message": "m", "headers": {"x-user": "{{input.x}}"}}""";

        var outcome = await Run("messagebroker", definition, """{"x": "a\r\nx-evil: 1"}""");

        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
        Assert.Contains("definition.headers.x-user", outcome.ErrorMessage);
    }

    [Theory]
    [InlineData("""["a@x.example, b@evil.example"]""", "definition.to[0]")]
    [InlineData("""["ops@example.com", "team: a@x.example, b@evil.example;"]""", "definition.to[1]")]
    public void An_email_item_with_several_addresses_is_a_validation_error(string to, string field)
    {
        var errors = TestContexts.ValidationErrorsOf(TestContexts.Executor("notification"), Definition(1, to));

        Assert.Contains(field, errors.Keys);
    }

    [Fact]
    public void A_literal_CR_LF_in_the_subject_is_a_validation_error()
    {
        var errors = TestContexts.ValidationErrorsOf(TestContexts.Executor("notification"),
            Definition(1, """["ops@example.com"]""", subject: "hi\r\nBcc: b@evil.example"));

        Assert.Contains("definition.subject", errors.Keys);
    }

    [Theory]
    [InlineData("""["{{input.t}}"]""", """{"t": "a@x.example, b@evil.example"}""", "definition.to[0]")]
    [InlineData("""["{{input.t}}"]""", """{"t": "a@x.example\r\nBcc: b@evil.example"}""", "definition.to[0]")]
    [InlineData("""["ops@example.com"]""", """{"t": "x\r\nBcc: b@evil.example"}""", "definition.subject")]
    public async Task A_rendered_email_value_that_adds_recipients_or_headers_is_rejected_and_nothing_is_sent(string to, string input, string field)
    {
        var before = sink.Messages().Count;

        var outcome = await Run("notification", Definition(sink.Port, to, subject: "Run {{input.t}}"), input);

        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
        Assert.Contains(field, outcome.ErrorMessage);
        // The outcome is final: a message sent by this attempt would have been accepted (and stored) before it returned.
        Assert.Equal(before, sink.Messages().Count);
    }

    [Fact]
    public async Task One_rendered_address_per_item_is_still_delivered()
    {
        var marker = Guid.NewGuid().ToString("N");

        var outcome = await Run("notification", Definition(sink.Port, """["{{input.t}}"]""", subject: marker), """{"t": "Ops <ops@example.com>"}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var sunk = await sink.WaitForAsync(m => m.Message.Subject == marker);
        Assert.Equal(["ops@example.com"], sunk.RcptTo);
    }

    private static string Definition(int port, string to, string subject = "s") => $$"""
        {"channel": "email", "smtp": {"host": "127.0.0.1", "port": {{port}}, "tls": "none"},
         "from": "jobs@example.com", "to": {{to}}, "subject": "{{subject.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}}", "body": "b"}
        """;
}
