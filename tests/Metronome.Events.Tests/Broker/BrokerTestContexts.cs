using Metronome.Core.Execution;
using Metronome.Events.Broker;

namespace Metronome.Events.Tests.Broker;

/// <summary>Executors with short connect timeouts and attempt contexts for broker tests.</summary>
internal static class BrokerTestContexts
{
    public static MessageBrokerExecutor Executor() => new(new BrokerPublisherOptions { ConnectTimeout = TimeSpan.FromSeconds(5) });

    /// <summary>Executes with a 30 s attempt timeout, as the dispatcher would.</summary>
    public static async Task<ExecutionOutcome> ExecuteAsync(this MessageBrokerExecutor executor, string definition, string input = "{}",
        IReadOnlyDictionary<string, string>? secrets = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await executor.ExecuteAsync(TestContexts.For("messagebroker", definition, input, secrets), timeout.Token);
    }

    public static string Unique(string prefix) => $"{prefix}.{Guid.NewGuid():N}";
}

/// <summary>Polling with a deadline, for effects that land asynchronously.</summary>
internal static class TestApiPolling
{
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var value = await probe();
            if (condition(value) || DateTime.UtcNow > until) return value;
            await Task.Delay(50);
        }
    }
}
