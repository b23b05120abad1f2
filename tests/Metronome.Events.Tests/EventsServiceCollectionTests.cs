using Metronome.Core.Execution;
using Microsoft.Extensions.DependencyInjection;

namespace Metronome.Events.Tests;

public sealed class EventsServiceCollectionTests
{
    [Fact]
    public void AddMetronomeEvents_registers_one_executor_per_type_even_when_called_twice()
    {
        var provider = new ServiceCollection().AddMetronomeEvents().AddMetronomeEvents().BuildServiceProvider();

        var types = provider.GetServices<IEventExecutor>().Select(e => e.EventType).Order().ToArray();

        Assert.Equal(["action", "database_action", "function", "messagebroker", "notification"], types);
    }

    [Fact]
    public void AddMetronomeEvents_configures_the_named_client_without_a_client_timeout()
    {
        var provider = new ServiceCollection().AddMetronomeEvents().BuildServiceProvider();

        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("metronome-action");

        Assert.Equal(Timeout.InfiniteTimeSpan, client.Timeout);
    }
}
