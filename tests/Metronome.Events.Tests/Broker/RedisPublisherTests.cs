using Metronome.Core.Execution;
using Metronome.Events.Broker;
using Metronome.Testing;
using Metronome.Testing.Peers;
using StackExchange.Redis;

namespace Metronome.Events.Tests.Broker;

public sealed class RedisPublisherTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly MessageBrokerExecutor _executor = BrokerTestContexts.Executor();
    private ConnectionMultiplexer? _reader;

    private Dictionary<string, string> Secrets => new() { ["REDIS"] = redis.ConnectionString };

    public async Task InitializeAsync() => _reader = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);

    public async Task DisposeAsync()
    {
        await _executor.DisposeAsync();
        if (_reader is not null) await _reader.DisposeAsync();
    }

    [Fact]
    public async Task Stream_entry_carries_the_traceparent_of_the_attempt_as_a_field_and_no_baggage()
    {
        var key = BrokerTestContexts.Unique("traced");
        using var attempt = new TracedAttempt();

        var outcome = await _executor.ExecuteAsync(
            $$"""{"broker": "redis", "connection": "{{redis.ConnectionString}}", "mode": "stream", "topic": "{{key}}", "message": "m"}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var entry = Assert.Single(await _reader!.GetDatabase().StreamRangeAsync(key));
        var fields = entry.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString());
        Assert.Equal(attempt.TraceParent, fields["traceparent"]);
        Assert.Equal("metronome=t1", fields["tracestate"]);
        Assert.False(fields.ContainsKey("baggage"));
        Assert.DoesNotContain(fields.Values, v => v.Contains("never-sent", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stream_mode_adds_one_entry_with_the_rendered_message_idempotency_key_and_one_field_per_header()
    {
        var key = BrokerTestContexts.Unique("orders");
        var definition = $$$"""
            {"broker": "redis", "connection": "{{secrets.REDIS}}", "mode": "stream", "topic": "{{{key}}}",
             "message": {"slot": "{{run.slot}}", "who": "{{input.who}}"}, "headers": {"x-source": "metronome", "x-job": "{{job.tag}}"}}
            """;

        var outcome = await _executor.ExecuteAsync(definition, """{"who": "Ada"}""", Secrets);

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var entries = await _reader!.GetDatabase().StreamRangeAsync(key);
        var entry = Assert.Single(entries);
        var output = TestContexts.Json(outcome.OutputJson);
        Assert.Equal("redis", output.GetProperty("broker").GetString());
        Assert.Equal(entry.Id.ToString(), output.GetProperty("id").GetString());
        Assert.Equal(["message", "idempotency_key", "x-source", "x-job"], entry.Values.Select(v => v.Name.ToString()));
        Assert.Equal("""{"slot":42,"who":"Ada"}""", entry["message"].ToString());
        Assert.Equal("acme/nightly/42", entry["idempotency_key"].ToString());
        Assert.Equal("metronome", entry["x-source"].ToString());
        Assert.Equal("nightly", entry["x-job"].ToString());
    }

    [Fact]
    public async Task Publish_mode_sends_a_string_message_as_is_and_reports_the_receivers()
    {
        var channel = BrokerTestContexts.Unique("ticks");
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscriber = _reader!.GetSubscriber();
        await subscriber.SubscribeAsync(RedisChannel.Literal(channel), (_, message) => received.TrySetResult(message.ToString()));

        var outcome = await _executor.ExecuteAsync(
            $$$"""{"broker": "redis", "connection": "{{secrets.REDIS}}", "mode": "publish", "topic": "{{{channel}}}", "message": "run {{run.slot}} of {{job.name}}"}""",
            secrets: Secrets);

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal(1, TestContexts.Json(outcome.OutputJson).GetProperty("receivers").GetInt64());
        Assert.Equal("run 42 of Nightly sync", await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Two_executions_with_the_same_connection_string_share_one_multiplexer()
    {
        var definition = $$$"""{"broker": "redis", "connection": "{{secrets.REDIS}}", "topic": "{{{BrokerTestContexts.Unique("reuse")}}}", "message": "m"}""";
        var pool = ((RedisPublisher)_executor.Publisher("redis")).Pool;

        Assert.True((await _executor.ExecuteAsync(definition, secrets: Secrets)).Succeeded);
        var first = pool.Cached(redis.ConnectionString);
        Assert.True((await _executor.ExecuteAsync(definition, secrets: Secrets)).Succeeded);

        Assert.NotNull(first);
        Assert.Same(first, pool.Cached(redis.ConnectionString));
        Assert.Equal(1, pool.Created);
    }

    [Fact]
    public async Task Concurrent_first_executions_open_a_single_connection()
    {
        var definition = $$$"""{"broker": "redis", "connection": "{{secrets.REDIS}}", "topic": "{{{BrokerTestContexts.Unique("burst")}}}", "message": "m"}""";

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _executor.ExecuteAsync(definition, secrets: Secrets)));

        Assert.All(outcomes, o => Assert.True(o.Succeeded, o.ErrorMessage));
        Assert.Equal(1, ((RedisPublisher)_executor.Publisher("redis")).Pool.Created);
    }

    [Fact]
    public async Task Broker_that_is_not_listening_fails_with_connection_refused()
    {
        var outcome = await _executor.ExecuteAsync($$"""{"broker": "redis", "connection": "127.0.0.1:{{FreePort.Next()}}", "topic": "t", "message": "m"}""");

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.ConnectionRefused, outcome.ErrorKind);
    }

    [Fact]
    public async Task Broker_stopped_after_a_success_is_reported_and_reconnected_once_back()
    {
        await using var own = await RedisServer.StartAsync();
        var definition = $$"""{"broker": "redis", "connection": "{{own.ConnectionString}}", "topic": "t", "message": "m"}""";
        Assert.True((await _executor.ExecuteAsync(definition)).Succeeded);

        await own.StopAsync();
        var down = await _executor.ExecuteAsync(definition);

        Assert.False(down.Succeeded);
        Assert.Contains(down.ErrorKind, new[] { ErrorKinds.ConnectionRefused, ErrorKinds.Timeout });
    }

    [Theory]
    [InlineData("")]
    [InlineData(",password=wrong")]
    public async Task Missing_or_wrong_password_fails_with_auth_failed(string credentials)
    {
        await using var secured = await RedisServer.StartAsync(password: "right-password");

        var outcome = await _executor.ExecuteAsync($$"""{"broker": "redis", "connection": "127.0.0.1:{{secured.Port}}{{credentials}}", "topic": "t", "message": "m"}""");

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.AuthFailed, outcome.ErrorKind);
    }

    [Fact]
    public async Task Right_password_from_a_secret_publishes()
    {
        await using var secured = await RedisServer.StartAsync(password: "right-password");

        var outcome = await _executor.ExecuteAsync("""{"broker": "redis", "connection": "{{secrets.REDIS}}", "topic": "t", "message": "m"}""",
            secrets: new Dictionary<string, string> { ["REDIS"] = secured.ConnectionString });

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
    }

    [Fact]
    public async Task Key_of_another_type_is_rejected()
    {
        var key = BrokerTestContexts.Unique("plain");
        await _reader!.GetDatabase().StringSetAsync(key, "not a stream");

        var outcome = await _executor.ExecuteAsync($$"""{"broker": "redis", "connection": "{{redis.ConnectionString}}", "topic": "{{key}}", "message": "m"}""");

        Assert.Equal(ErrorKinds.Rejected, outcome.ErrorKind);
        Assert.Contains("WRONGTYPE", outcome.ErrorMessage);
    }

    [Fact]
    public async Task Missing_secret_for_the_connection_fails_naming_the_field()
    {
        var outcome = await _executor.ExecuteAsync("""{"broker": "redis", "connection": "{{secrets.NOPE}}", "topic": "t", "message": "m"}""");

        Assert.Equal(ErrorKinds.Exception, outcome.ErrorKind);
        Assert.Contains("definition.connection", outcome.ErrorMessage);
    }
}
