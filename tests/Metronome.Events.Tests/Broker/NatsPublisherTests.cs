using System.Text;
using Metronome.Core.Execution;
using Metronome.Events.Broker;
using Metronome.Testing;
using Metronome.Testing.Peers;
using NATS.Client.Core;

namespace Metronome.Events.Tests.Broker;

public sealed class NatsPublisherTests(NatsServer nats) : IClassFixture<NatsServer>, IAsyncLifetime
{
    private readonly MessageBrokerExecutor _executor = BrokerTestContexts.Executor();
    private NatsConnection? _reader;

    private Dictionary<string, string> Secrets => new() { ["NATS"] = nats.ConnectionString };

    public async Task InitializeAsync()
    {
        _reader = new NatsConnection(NatsOpts.Default with { Url = nats.ConnectionString });
        await _reader.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        await _executor.DisposeAsync();
        if (_reader is not null) await _reader.DisposeAsync();
    }

    [Fact]
    public async Task Message_headers_carry_the_traceparent_and_tracestate_of_the_attempt_and_no_baggage()
    {
        var subject = BrokerTestContexts.Unique("traced");
        await using var subscription = await _reader!.SubscribeCoreAsync<byte[]>(subject);
        await _reader.PingAsync();
        using var attempt = new TracedAttempt();

        var outcome = await _executor.ExecuteAsync(
            $$"""{"broker": "nats", "connection": "{{Secrets["NATS"]}}", "topic": "{{subject}}", "message": "m"}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var message = await subscription.Msgs.ReadAsync(wait.Token);
        Assert.Equal(attempt.TraceParent, message.Headers!["traceparent"].ToString());
        Assert.Equal("metronome=t1", message.Headers["tracestate"].ToString());
        Assert.False(message.Headers.ContainsKey("baggage"));
        Assert.False(message.Headers.ContainsKey("Correlation-Context"));
    }

    [Fact]
    public async Task Message_reaches_a_subscriber_with_the_headers_and_the_idempotency_key()
    {
        var subject = BrokerTestContexts.Unique("orders");
        await using var subscription = await _reader!.SubscribeCoreAsync<byte[]>(subject);
        await _reader.PingAsync();

        var outcome = await _executor.ExecuteAsync(
            $$$"""{"broker": "nats", "connection": "{{secrets.NATS}}", "topic": "{{{subject}}}", "message": {"slot": "{{run.slot}}"}, "headers": {"x-source": "metronome"}}""",
            secrets: Secrets);

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.True(TestContexts.Json(outcome.OutputJson).GetProperty("flushed").GetBoolean());
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var message = await subscription.Msgs.ReadAsync(wait.Token);
        Assert.Equal("""{"slot":42}""", Encoding.UTF8.GetString(message.Data!));
        Assert.Equal("metronome", message.Headers!["x-source"].ToString());
        Assert.Equal("acme/nightly/42", message.Headers[NatsPublisher.MessageIdHeader].ToString());
    }

    [Fact]
    public async Task Two_executions_with_the_same_connection_string_share_one_connection()
    {
        var definition = """{"broker": "nats", "connection": "{{secrets.NATS}}", "topic": "reuse", "message": "m"}""";
        var pool = ((NatsPublisher)_executor.Publisher("nats")).Pool;

        Assert.True((await _executor.ExecuteAsync(definition, secrets: Secrets)).Succeeded);
        var first = pool.Cached(nats.ConnectionString);
        Assert.True((await _executor.ExecuteAsync(definition, secrets: Secrets)).Succeeded);

        Assert.NotNull(first);
        Assert.Same(first, pool.Cached(nats.ConnectionString));
        Assert.Equal(1, pool.Created);
    }

    [Fact]
    public async Task Broker_that_is_not_listening_fails_with_connection_refused()
    {
        var outcome = await _executor.ExecuteAsync($$"""{"broker": "nats", "connection": "nats://127.0.0.1:{{FreePort.Next()}}", "topic": "t", "message": "m"}""");

        Assert.Equal(ErrorKinds.ConnectionRefused, outcome.ErrorKind);
    }

    [Fact]
    public async Task Broker_stopped_after_a_success_fails_promptly_instead_of_waiting_for_a_reconnect()
    {
        await using var own = await NatsServer.StartAsync();
        var definition = $$"""{"broker": "nats", "connection": "{{own.ConnectionString}}", "topic": "t", "message": "m"}""";
        Assert.True((await _executor.ExecuteAsync(definition)).Succeeded);

        await own.StopAsync();
        var started = DateTime.UtcNow;
        var down = await _executor.ExecuteAsync(definition);

        Assert.Equal(ErrorKinds.ConnectionRefused, down.ErrorKind);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("bob", "wrong")]
    [InlineData(null, null)]
    public async Task Refused_credentials_fail_with_auth_failed(string? user, string? password)
    {
        await using var secured = await NatsServer.StartAsync(("bob", "right"));
        var url = user is null ? $"nats://127.0.0.1:{secured.Port}" : $"nats://{user}:{password}@127.0.0.1:{secured.Port}";

        var outcome = await _executor.ExecuteAsync($$"""{"broker": "nats", "connection": "{{url}}", "topic": "t", "message": "m"}""");

        Assert.Equal(ErrorKinds.AuthFailed, outcome.ErrorKind);
    }
}
