using Metronome.Core.Execution;

namespace Metronome.Events.Broker;

/// <summary>
/// Publishes messages to one kind of broker over pooled connections (one client per distinct connection string).
/// Returns an outcome for every failure it understands (<c>connection_refused</c>, <c>timeout</c>,
/// <c>auth_failed</c>, <c>rejected</c>); when <c>ct</c> is cancelled (the attempt's timeout) the
/// <see cref="OperationCanceledException"/> propagates so the dispatcher records it.
/// </summary>
internal interface IBrokerPublisher : IAsyncDisposable
{
    /// <summary>The <c>broker</c> value handled: <c>redis</c>, <c>rabbitmq</c> or <c>nats</c>.</summary>
    string Broker { get; }

    /// <summary>Publishes one rendered message; <paramref name="idempotencyKey"/> is the same for every attempt of a slot.</summary>
    Task<ExecutionOutcome> PublishAsync(BrokerDefinition definition, string idempotencyKey, CancellationToken ct);
}

/// <summary>Settings shared by the broker publishers.</summary>
internal sealed record BrokerPublisherOptions
{
    /// <summary>
    /// How long opening a connection may take (TCP, TLS, handshake, authentication). Short, so a broker that is down
    /// or unreachable is reported well within a typical attempt timeout; the attempt's own timeout still applies.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
