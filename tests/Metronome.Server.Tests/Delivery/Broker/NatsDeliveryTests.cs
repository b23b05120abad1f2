using System.Text;
using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing.Peers;
using NATS.Client.Core;

namespace Metronome.Server.Tests.Delivery.Broker;

public sealed class NatsDeliveryTests(ServerFixture fixture, NatsServer nats) : IClassFixture<ServerFixture>, IClassFixture<NatsServer>
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Job_with_three_executions_reaches_a_subscriber_exactly_three_times_with_headers()
    {
        var subject = "orders." + TestApi.Unique("tick");
        await using var reader = new NatsConnection(NatsOpts.Default with { Url = nats.ConnectionString });
        await reader.ConnectAsync();
        await using var subscription = await reader.SubscribeCoreAsync<byte[]>(subject);
        await reader.PingAsync();
        var (product, ev) = await BrokerDelivery.CreateEventAsync(Server, nats.ConnectionString, new()
        {
            ["broker"] = "nats", ["topic"] = subject, ["message"] = BrokerDelivery.Message, ["headers"] = BrokerDelivery.Headers,
        });

        var job = await BrokerDelivery.StartJobAsync(Server, product, ev, executions: 3);
        var runs = await BrokerDelivery.CompletedRunsAsync(Server, product, job);

        // Each run succeeded only after the server answered a PING sent behind its message: all three were delivered.
        await reader.PingAsync();
        var messages = new List<NatsMsg<byte[]>>();
        while (subscription.Msgs.TryRead(out var message)) messages.Add(message);
        Assert.Equal(BrokerDelivery.ExpectedMessages(runs, job, 3), messages.Select(m => Encoding.UTF8.GetString(m.Data!)).Order(StringComparer.Ordinal));
        Assert.All(messages, m =>
        {
            Assert.Equal("metronome", m.Headers!["x-source"].ToString());
            Assert.Equal(job, m.Headers["x-job"].ToString());
        });
        Assert.Equal(runs.Select(r => $"{product}/{job}/{r.Slot}").Order(StringComparer.Ordinal),
            messages.Select(m => m.Headers!["Nats-Msg-Id"].ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Job_against_a_stopped_nats_records_each_run_failed_with_connection_refused_on_time()
    {
        var own = await NatsServer.StartAsync();
        try
        {
            var (product, ev) = await BrokerDelivery.CreateEventAsync(Server, own.ConnectionString, new()
            {
                ["broker"] = "nats", ["topic"] = "orders.tick", ["message"] = BrokerDelivery.Message,
            });
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
