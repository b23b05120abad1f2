using System.Collections.Concurrent;
using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing.Peers;
using StackExchange.Redis;

namespace Metronome.Server.Tests.Delivery.Broker;

public sealed class RedisDeliveryTests(ServerFixture fixture, RedisServer redis) : IClassFixture<ServerFixture>, IClassFixture<RedisServer>
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Stream_job_with_three_executions_appends_exactly_three_entries_with_message_and_headers()
    {
        var key = TestApi.Unique("orders");
        var (product, ev) = await BrokerDelivery.CreateEventAsync(Server, redis.ConnectionString, new()
        {
            ["broker"] = "redis", ["mode"] = "stream", ["topic"] = key, ["message"] = BrokerDelivery.Message, ["headers"] = BrokerDelivery.Headers,
        });

        var job = await BrokerDelivery.StartJobAsync(Server, product, ev, executions: 3);
        var runs = await BrokerDelivery.CompletedRunsAsync(Server, product, job);

        await using var reader = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var entries = await reader.GetDatabase().StreamRangeAsync(key);
        Assert.Equal(3, entries.Length);
        Assert.Equal(BrokerDelivery.ExpectedMessages(runs, job, 3), entries.Select(e => e["message"].ToString()).Order(StringComparer.Ordinal));
        Assert.All(entries, e =>
        {
            // The server traces every attempt: the entry also carries its W3C traceparent, last (docs/telemetry.md).
            Assert.Equal(["message", "idempotency_key", "x-source", "x-job", "traceparent"], e.Values.Select(v => v.Name.ToString()));
            Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$", e["traceparent"].ToString());
            Assert.Equal("metronome", e["x-source"].ToString());
            Assert.Equal(job, e["x-job"].ToString());
        });
        Assert.Equal(runs.Select(r => $"{product}/{job}/{r.Slot}").Order(StringComparer.Ordinal),
            entries.Select(e => e["idempotency_key"].ToString()).Order(StringComparer.Ordinal));
        Assert.All(runs, r => Assert.Equal("redis", r.Output?.GetProperty("broker").GetString()));
    }

    [Fact]
    public async Task Publish_job_with_three_executions_reaches_a_subscriber_exactly_three_times()
    {
        var channel = TestApi.Unique("ticks");
        await using var reader = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var received = new ConcurrentQueue<string>();
        await reader.GetSubscriber().SubscribeAsync(RedisChannel.Literal(channel), (_, message) => received.Enqueue(message.ToString()));
        var (product, ev) = await BrokerDelivery.CreateEventAsync(Server, redis.ConnectionString, new()
        {
            ["broker"] = "redis", ["mode"] = "publish", ["topic"] = channel, ["message"] = BrokerDelivery.Message,
        });

        var job = await BrokerDelivery.StartJobAsync(Server, product, ev, executions: 3);
        var runs = await BrokerDelivery.CompletedRunsAsync(Server, product, job);

        var expected = BrokerDelivery.ExpectedMessages(runs, job, 3);
        await TestApi.EventuallyAsync(() => Task.FromResult(received.Count), n => n >= 3);
        await reader.GetDatabase().PingAsync(); // anything still in flight arrives before the PONG
        Assert.Equal(expected, received.Order(StringComparer.Ordinal));
        Assert.All(runs, r => Assert.Equal(1, r.Output?.GetProperty("receivers").GetInt64()));
    }

    [Fact]
    public async Task Job_against_a_stopped_redis_records_each_run_failed_with_connection_refused_on_time()
    {
        var own = await RedisServer.StartAsync();
        try
        {
            var (product, ev) = await BrokerDelivery.CreateEventAsync(Server, own.ConnectionString, new()
            {
                ["broker"] = "redis", ["topic"] = "orders", ["message"] = BrokerDelivery.Message,
            });
            // A first job connects: the server now holds a pooled connection to this Redis.
            var warm = await BrokerDelivery.StartJobAsync(Server, product, ev, executions: 1);
            BrokerDelivery.ExpectedMessages(await BrokerDelivery.CompletedRunsAsync(Server, product, warm), warm, 1);

            await own.StopAsync();
            var job = await BrokerDelivery.StartJobAsync(Server, product, ev, executions: 2);

            BrokerDelivery.AssertFailedPromptly(await BrokerDelivery.CompletedRunsAsync(Server, product, job));
        }
        finally
        {
            await own.DisposeAsync();
        }
    }
}
