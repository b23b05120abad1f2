using System.Diagnostics;
using Metronome.Core.Execution;
using Metronome.Events.Broker;
using Metronome.Testing.Peers;
using StackExchange.Redis;

namespace Metronome.Events.Tests.Broker;

public sealed class BrokerTimeoutTests
{
    private static string Connection(string broker, int port) => broker switch
    {
        "redis" => $"127.0.0.1:{port}",
        "rabbitmq" => $"amqp://guest:guest@127.0.0.1:{port}/",
        _ => $"nats://127.0.0.1:{port}",
    };

    [Theory]
    [InlineData("redis")]
    [InlineData("rabbitmq")]
    [InlineData("nats")]
    public async Task Broker_that_accepts_but_never_answers_fails_with_timeout_after_the_connect_timeout(string broker)
    {
        await using var silent = new SilentServer();
        await using var executor = new MessageBrokerExecutor(new BrokerPublisherOptions { ConnectTimeout = TimeSpan.FromMilliseconds(500) });
        var watch = Stopwatch.StartNew();

        var outcome = await executor.ExecuteAsync($$"""{"broker": "{{broker}}", "connection": "{{Connection(broker, silent.Port)}}", "topic": "t", "message": "m"}""");

        Assert.Equal(ErrorKinds.Timeout, outcome.ErrorKind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("rabbitmq")]
    [InlineData("nats")]
    public async Task Attempt_cancelled_while_connecting_is_released_at_once(string broker)
    {
        await using var silent = new SilentServer();
        await using var executor = new MessageBrokerExecutor(new BrokerPublisherOptions { ConnectTimeout = TimeSpan.FromSeconds(30) });
        using var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var context = TestContexts.For("messagebroker", $$"""{"broker": "{{broker}}", "connection": "{{Connection(broker, silent.Port)}}", "topic": "t", "message": "m"}""");
        var watch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => executor.ExecuteAsync(context, attempt.Token));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Disposing_the_executor_closes_its_pooled_connections()
    {
        await using var redis = await RedisServer.StartAsync();
        var executor = BrokerTestContexts.Executor();
        var definition = $$"""{"broker": "redis", "connection": "{{redis.ConnectionString}}", "topic": "t", "message": "m"}""";
        Assert.True((await executor.ExecuteAsync(definition)).Succeeded);
        await using var reader = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",name=reader,allowAdmin=true");
        var server = reader.GetServer(reader.GetEndPoints()[0]);
        Assert.Contains(await server.ClientListAsync(), c => c.Name == "metronome");

        await executor.DisposeAsync();

        var clients = await TestApiPolling.EventuallyAsync(() => server.ClientListAsync(), list => list.All(c => c.Name != "metronome"));
        Assert.DoesNotContain(clients, c => c.Name == "metronome");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => executor.ExecuteAsync(definition));
    }
}
