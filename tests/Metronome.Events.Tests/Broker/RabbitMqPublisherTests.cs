using System.Text;
using Metronome.Core.Execution;
using Metronome.Events.Broker;
using Metronome.Testing;
using Metronome.Testing.Peers;
using RabbitMQ.Client;

namespace Metronome.Events.Tests.Broker;

public sealed class RabbitMqPublisherTests(RabbitMqServer rabbit) : IClassFixture<RabbitMqServer>, IAsyncLifetime
{
    private readonly MessageBrokerExecutor _executor = BrokerTestContexts.Executor();
    private IConnection? _reader;
    private IChannel? _channel;

    private Dictionary<string, string> Secrets => new() { ["AMQP"] = rabbit.ConnectionString() };

    public async Task InitializeAsync()
    {
        _reader = await new ConnectionFactory { Uri = new Uri(rabbit.ConnectionString()) }.CreateConnectionAsync();
        _channel = await _reader.CreateChannelAsync();
    }

    public async Task DisposeAsync()
    {
        await _executor.DisposeAsync();
        if (_channel is not null) await _channel.DisposeAsync();
        if (_reader is not null) await _reader.DisposeAsync();
    }

    private async Task<string> DeclareQueueAsync() =>
        (await _channel!.QueueDeclareAsync(BrokerTestContexts.Unique("q"), durable: false, exclusive: false, autoDelete: false)).QueueName;

    [Fact]
    public async Task Message_headers_carry_the_traceparent_and_tracestate_of_the_attempt_and_no_baggage()
    {
        var queue = await DeclareQueueAsync();
        using var attempt = new TracedAttempt();

        var outcome = await _executor.ExecuteAsync(
            $$$"""{"broker": "rabbitmq", "connection": "{{{rabbit.ConnectionString()}}}", "topic": "{{{queue}}}", "message": "m", "headers": {"x-source": "metronome"}}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var message = await _channel!.BasicGetAsync(queue, autoAck: true);
        Assert.NotNull(message);
        var headers = message.BasicProperties.Headers!;
        Assert.Equal(attempt.TraceParent, Encoding.UTF8.GetString((byte[])headers["traceparent"]!));
        Assert.Equal("metronome=t1", Encoding.UTF8.GetString((byte[])headers["tracestate"]!));
        Assert.Equal("metronome", Encoding.UTF8.GetString((byte[])headers["x-source"]!));
        Assert.False(headers.ContainsKey("baggage"));
        Assert.False(headers.ContainsKey("Correlation-Context"));
    }

    [Fact]
    public async Task Message_reaches_the_bound_queue_persistent_with_headers_and_is_confirmed()
    {
        var queue = await DeclareQueueAsync();
        var definition = $$$"""
            {"broker": "rabbitmq", "connection": "{{secrets.AMQP}}", "exchange": "", "topic": "{{{queue}}}",
             "message": {"slot": "{{run.slot}}"}, "headers": {"x-source": "metronome", "x-job": "{{job.tag}}"}}
            """;

        var outcome = await _executor.ExecuteAsync(definition, secrets: Secrets);

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.True(TestContexts.Json(outcome.OutputJson).GetProperty("confirmed").GetBoolean());
        var message = await _channel!.BasicGetAsync(queue, autoAck: true);
        Assert.NotNull(message);
        Assert.Equal("""{"slot":42}""", Encoding.UTF8.GetString(message.Body.Span));
        Assert.Equal(DeliveryModes.Persistent, message.BasicProperties.DeliveryMode);
        Assert.Equal("application/json", message.BasicProperties.ContentType);
        Assert.Equal("acme/nightly/42", message.BasicProperties.MessageId);
        var headers = message.BasicProperties.Headers!;
        Assert.Equal("metronome", Encoding.UTF8.GetString((byte[])headers["x-source"]!));
        Assert.Equal("nightly", Encoding.UTF8.GetString((byte[])headers["x-job"]!));
    }

    [Fact]
    public async Task Message_through_a_named_exchange_uses_topic_as_routing_key()
    {
        var queue = await DeclareQueueAsync();
        var exchange = BrokerTestContexts.Unique("ex");
        await _channel!.ExchangeDeclareAsync(exchange, ExchangeType.Direct, autoDelete: true);
        await _channel!.QueueBindAsync(queue, exchange, "orders.tick");

        var outcome = await _executor.ExecuteAsync(
            $$"""{"broker": "rabbitmq", "connection": "{{rabbit.ConnectionString()}}", "exchange": "{{exchange}}", "topic": "orders.tick", "message": "plain text"}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var message = await _channel!.BasicGetAsync(queue, autoAck: true);
        Assert.NotNull(message);
        Assert.Equal("plain text", Encoding.UTF8.GetString(message.Body.Span));
        Assert.Equal("text/plain", message.BasicProperties.ContentType);
    }

    [Fact]
    public async Task Unroutable_message_is_rejected_and_the_next_publish_still_works()
    {
        var outcome = await _executor.ExecuteAsync(
            $$"""{"broker": "rabbitmq", "connection": "{{rabbit.ConnectionString()}}", "topic": "{{BrokerTestContexts.Unique("nobody")}}", "message": "m"}""");

        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
        Assert.Contains("unroutable", outcome.ErrorMessage);
        var queue = await DeclareQueueAsync();
        Assert.True((await _executor.ExecuteAsync(
            $$"""{"broker": "rabbitmq", "connection": "{{rabbit.ConnectionString()}}", "topic": "{{queue}}", "message": "m"}""")).Succeeded);
    }

    [Fact]
    public async Task Missing_exchange_is_rejected()
    {
        var outcome = await _executor.ExecuteAsync(
            $$"""{"broker": "rabbitmq", "connection": "{{rabbit.ConnectionString()}}", "exchange": "no-such-exchange", "topic": "t", "message": "m"}""");

        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
        Assert.Contains("404", outcome.ErrorMessage);
    }

    [Fact]
    public async Task Two_executions_with_the_same_connection_string_share_one_connection()
    {
        var queue = await DeclareQueueAsync();
        var definition = $$$"""{"broker": "rabbitmq", "connection": "{{secrets.AMQP}}", "topic": "{{{queue}}}", "message": "m"}""";
        var pool = ((RabbitMqPublisher)_executor.Publisher("rabbitmq")).Pool;

        Assert.True((await _executor.ExecuteAsync(definition, secrets: Secrets)).Succeeded);
        var first = pool.Cached(rabbit.ConnectionString());
        Assert.True((await _executor.ExecuteAsync(definition, secrets: Secrets)).Succeeded);

        Assert.NotNull(first);
        Assert.Same(first, pool.Cached(rabbit.ConnectionString()));
        Assert.Equal(1, pool.Created);
        Assert.Equal(2u, await _channel!.MessageCountAsync(queue));
    }

    [Fact]
    public async Task Wrong_password_fails_with_auth_failed()
    {
        var outcome = await _executor.ExecuteAsync(
            $$"""{"broker": "rabbitmq", "connection": "{{rabbit.ConnectionString("guest", "wrong")}}", "topic": "t", "message": "m"}""");

        Assert.Equal(ErrorKinds.AuthFailed, outcome.ErrorKind);
    }

    [Fact]
    public async Task Broker_stopped_after_a_success_fails_with_connection_refused()
    {
        await using var own = await RabbitMqServer.StartAsync();
        await using (var setup = await new ConnectionFactory { Uri = new Uri(own.ConnectionString()) }.CreateConnectionAsync())
        await using (var channel = await setup.CreateChannelAsync())
            await channel.QueueDeclareAsync("orders", durable: false, exclusive: false, autoDelete: false);
        var definition = $$"""{"broker": "rabbitmq", "connection": "{{own.ConnectionString()}}", "topic": "orders", "message": "m"}""";
        Assert.True((await _executor.ExecuteAsync(definition)).Succeeded);

        await own.StopAsync();
        var down = await _executor.ExecuteAsync(definition);

        Assert.Equal(ErrorKinds.ConnectionRefused, down.ErrorKind);
    }

    [Fact]
    public async Task Broker_that_is_not_listening_fails_with_connection_refused()
    {
        var outcome = await _executor.ExecuteAsync($$"""{"broker": "rabbitmq", "connection": "amqp://guest:guest@127.0.0.1:{{FreePort.Next()}}/", "topic": "t", "message": "m"}""");

        Assert.Equal(ErrorKinds.ConnectionRefused, outcome.ErrorKind);
    }
}
