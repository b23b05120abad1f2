using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Metronome.Core.Execution;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Metronome.Events.Broker;

/// <summary>
/// Publishes to RabbitMQ with RabbitMQ.Client 7 (async API), one <see cref="IConnection"/> per connection string and a
/// small pool of confirm channels on each.
/// </summary>
/// <remarks>
/// <para>Each message goes to <c>exchange</c> (<c>""</c> = the default exchange) with routing key <c>topic</c>, as a
/// persistent message, <c>mandatory</c>, on a channel with publisher confirms and confirm tracking: the publish
/// completes when the broker acknowledged it. A nack, or a <c>basic.return</c> (no queue bound for the routing key),
/// is <c>rejected</c>; a missing exchange (the broker closes the channel with 404) is <c>rejected</c> too.</para>
/// <para>Properties: <c>content_type</c> <c>application/json</c> (JSON message) or <c>text/plain</c> (string),
/// <c>message_id</c> = the attempt's idempotency key <c>product/job/slot</c>, <c>headers</c> = the definition's headers
/// (string values), plus the attempt's <c>traceparent</c>/<c>tracestate</c> when it is traced. Output <c>{"broker":"rabbitmq","exchange":…,"routing_key":…,"confirmed":true}</c>.</para>
/// <para>Automatic recovery is off: a connection found closed is dropped and reopened at the next execution.</para>
/// </remarks>
internal sealed class RabbitMqPublisher : IBrokerPublisher
{
    private readonly BrokerClientPool<RabbitMqLink> _pool;

    public RabbitMqPublisher(BrokerPublisherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var timeout = options.ConnectTimeout;
        _pool = new BrokerClientPool<RabbitMqLink>((c, ct) => RabbitMqLink.OpenAsync(c, timeout, ct), l => l.IsOpen, l => l.DisposeAsync(), timeout);
    }

    public string Broker => BrokerDefinition.RabbitMq;

    internal BrokerClientPool<RabbitMqLink> Pool => _pool;

    public async Task<ExecutionOutcome> PublishAsync(BrokerDefinition definition, string idempotencyKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        try
        {
            var link = await _pool.GetAsync(definition.Connection, ct).ConfigureAwait(false);
            var properties = new BasicProperties
            {
                DeliveryMode = DeliveryModes.Persistent,
                ContentType = definition.Message.IsJson ? "application/json" : "text/plain",
                MessageId = idempotencyKey,
                Headers = definition.Headers.Count == 0 ? null : definition.Headers.ToDictionary(h => h.Key, h => (object?)h.Value),
            };
            TraceContext.Inject(properties, static (p, name, value) => (p.Headers ??= new Dictionary<string, object?>())[name] = value);
            await link.PublishAsync(definition.Exchange, definition.Topic, properties, definition.Message.ToUtf8(), ct).ConfigureAwait(false);
            return ExecutionOutcome.Success(new JsonObject
            {
                ["broker"] = Broker, ["exchange"] = definition.Exchange, ["routing_key"] = definition.Topic, ["confirmed"] = true,
            }.ToJsonString());
        }
        catch (Exception e) when (!ct.IsCancellationRequested && Classify(e) is { } outcome)
        {
            return outcome;
        }
    }

    /// <summary>Maps what RabbitMQ.Client throws to an outcome; null for anything unexpected (the dispatcher reports it).</summary>
    private static ExecutionOutcome? Classify(Exception e)
    {
        if (Find<AuthenticationFailureException>(e) is not null || Find<PossibleAuthenticationFailureException>(e) is not null)
            return ExecutionOutcome.Failure(ErrorKinds.AuthFailed, "RabbitMQ refused the credentials (ACCESS_REFUSED).");
        switch (e)
        {
            case PublishException { IsReturn: true }:
                return ExecutionOutcome.Failure(ErrorKinds.Rejected, "RabbitMQ returned the message as unroutable: no queue is bound for this routing key.");
            case PublishException:
                return ExecutionOutcome.Failure(ErrorKinds.Rejected, "RabbitMQ did not confirm the message (nack).");
            case OperationInterruptedException { ShutdownReason: { } reason } when reason.Initiator != ShutdownInitiator.Library:
                // Channel-level refusals of this message (no such exchange, not allowed) versus the broker closing
                // the connection (shutdown, CONNECTION_FORCED), which is the broker going away.
                var kind = reason.ReplyCode switch
                {
                    Constants.AccessRefused => ErrorKinds.AuthFailed,
                    Constants.NotFound or Constants.PreconditionFailed or Constants.NotAllowed or Constants.ResourceLocked => ErrorKinds.Rejected,
                    _ => ErrorKinds.ConnectionRefused,
                };
                return ExecutionOutcome.Failure(kind, $"RabbitMQ closed the channel: {reason.ReplyCode} {reason.ReplyText}");
            case TimeoutException t:
                return ExecutionOutcome.Failure(ErrorKinds.Timeout, t.Message);
        }
        if (HasSocketError(e, SocketError.TimedOut) || Find<TimeoutException>(e) is not null)
            return ExecutionOutcome.Failure(ErrorKinds.Timeout, "Connecting to RabbitMQ timed out.");
        if (e is BrokerUnreachableException or AlreadyClosedException or ConnectFailureException || Find<SocketException>(e) is not null)
            return ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused, "Could not reach RabbitMQ: " + Innermost(e).Message);
        return null;
    }

    private static T? Find<T>(Exception e) where T : Exception
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is T found) return found;
        return null;
    }

    private static bool HasSocketError(Exception e, SocketError error) => Find<SocketException>(e) is { } s && s.SocketErrorCode == error;

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);

    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}

/// <summary>One pooled RabbitMQ connection with its idle confirm channels (a channel serves one publish at a time).</summary>
internal sealed class RabbitMqLink : IAsyncDisposable
{
    private const int MaxIdleChannels = 8;

    private static readonly CreateChannelOptions ConfirmChannel =
        new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);

    private readonly IConnection _connection;
    private readonly ConcurrentBag<IChannel> _idle = [];

    private RabbitMqLink(IConnection connection) => _connection = connection;

    public bool IsOpen => _connection.IsOpen;

    public static async Task<RabbitMqLink> OpenAsync(string uri, TimeSpan timeout, CancellationToken ct)
    {
        var factory = new ConnectionFactory
        {
            Uri = new Uri(uri),
            ClientProvidedName = "metronome",
            AutomaticRecoveryEnabled = false, // the pool replaces a closed connection at the next execution
            TopologyRecoveryEnabled = false,
            RequestedConnectionTimeout = timeout,
            HandshakeContinuationTimeout = timeout,
        };
        return new RabbitMqLink(await factory.CreateConnectionAsync(ct).ConfigureAwait(false));
    }

    public async Task PublishAsync(string exchange, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        if (!_idle.TryTake(out var channel) || !channel.IsOpen)
        {
            if (channel is not null) await CloseAsync(channel).ConfigureAwait(false);
            channel = await _connection.CreateChannelAsync(ConfirmChannel, ct).ConfigureAwait(false);
        }
        var reusable = false;
        try
        {
            await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, body, ct).ConfigureAwait(false);
            reusable = true;
        }
        catch (PublishException)
        {
            reusable = channel.IsOpen; // a nack or a return leaves the channel usable
            throw;
        }
        finally
        {
            // A channel interrupted mid-publish (cancelled, closed by the broker) is not reused.
            if (reusable && _idle.Count < MaxIdleChannels) _idle.Add(channel);
            else await CloseAsync(channel).ConfigureAwait(false);
        }
    }

    private static async ValueTask CloseAsync(IChannel channel)
    {
        try { await channel.DisposeAsync().ConfigureAwait(false); }
        catch (Exception e) when (e is RabbitMQClientException or OperationInterruptedException or ObjectDisposedException or IOException) { }
    }

    public async ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var channel)) await CloseAsync(channel).ConfigureAwait(false);
        try { await _connection.CloseAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); }
        catch (Exception e) when (e is RabbitMQClientException or OperationInterruptedException or ObjectDisposedException or IOException) { }
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
