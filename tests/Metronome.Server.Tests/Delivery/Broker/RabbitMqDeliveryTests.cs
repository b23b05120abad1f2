using System.Text;
using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing.Peers;
using RabbitMQ.Client;

namespace Metronome.Server.Tests.Delivery.Broker;

public sealed class RabbitMqDeliveryTests(ServerFixture fixture, RabbitMqServer rabbit) : IClassFixture<ServerFixture>, IClassFixture<RabbitMqServer>
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Job_with_three_executions_delivers_exactly_three_persistent_messages_with_headers_to_the_bound_queue()
    {
        await using var reader = await new ConnectionFactory { Uri = new Uri(rabbit.ConnectionString()) }.CreateConnectionAsync();
        await using var channel = await reader.CreateChannelAsync();
        var queue = (await channel.QueueDeclareAsync(TestApi.Unique("orders"), durable: true, exclusive: false, autoDelete: false)).QueueName;
        var (product, ev) = await BrokerDelivery.CreateEventAsync(Server, rabbit.ConnectionString(), new()
        {
            ["broker"] = "rabbitmq", ["exchange"] = "", ["topic"] = queue, ["message"] = BrokerDelivery.Message, ["headers"] = BrokerDelivery.Headers,
        });

        var job = await BrokerDelivery.StartJobAsync(Server, product, ev, executions: 3);
        var runs = await BrokerDelivery.CompletedRunsAsync(Server, product, job);

        var messages = new List<BasicGetResult>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message) messages.Add(message);
        Assert.Equal(BrokerDelivery.ExpectedMessages(runs, job, 3), messages.Select(m => Encoding.UTF8.GetString(m.Body.Span)).Order(StringComparer.Ordinal));
        Assert.All(messages, m =>
        {
            Assert.Equal(DeliveryModes.Persistent, m.BasicProperties.DeliveryMode);
            // The client adds x-dotnet-pub-seq-no to correlate returns with publishes; the definition's headers are all there.
            var headers = m.BasicProperties.Headers!.Where(h => !h.Key.StartsWith("x-dotnet-", StringComparison.Ordinal))
                .ToDictionary(h => h.Key, h => Encoding.UTF8.GetString((byte[])h.Value!));
            // The server traces every attempt: the message also carries its W3C traceparent (docs/telemetry.md).
            Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$", headers.GetValueOrDefault("traceparent"));
            headers.Remove("traceparent");
            Assert.Equal(BrokerDelivery.ExpectedHeaders(job), headers);
        });
        Assert.Equal(runs.Select(r => $"{product}/{job}/{r.Slot}").Order(StringComparer.Ordinal),
            messages.Select(m => m.BasicProperties.MessageId!).Order(StringComparer.Ordinal));
        Assert.All(runs, r => Assert.True(r.Output?.GetProperty("confirmed").GetBoolean()));
    }

    [Fact]
    public async Task Job_against_a_stopped_rabbitmq_records_each_run_failed_with_connection_refused_on_time()
    {
        var own = await RabbitMqServer.StartAsync();
        try
        {
            await using (var setup = await new ConnectionFactory { Uri = new Uri(own.ConnectionString()) }.CreateConnectionAsync())
            await using (var channel = await setup.CreateChannelAsync())
                await channel.QueueDeclareAsync("orders", durable: false, exclusive: false, autoDelete: false);
            var (product, ev) = await BrokerDelivery.CreateEventAsync(Server, own.ConnectionString(), new()
            {
                ["broker"] = "rabbitmq", ["topic"] = "orders", ["message"] = BrokerDelivery.Message,
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
