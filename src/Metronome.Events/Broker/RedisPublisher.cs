using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Metronome.Core.Execution;
using StackExchange.Redis;

namespace Metronome.Events.Broker;

/// <summary>
/// Publishes to Redis with StackExchange.Redis, one <see cref="ConnectionMultiplexer"/> per connection string.
/// </summary>
/// <remarks>
/// <para><c>mode: stream</c> runs <c>XADD topic * message &lt;body&gt; idempotency_key &lt;key&gt; [&lt;header&gt; &lt;value&gt;]...</c>:
/// the field <c>message</c> holds the rendered message, <c>idempotency_key</c> the attempt's
/// <c>product/job/slot</c>, then one field per header in definition order, then <c>traceparent</c> (and <c>tracestate</c>)
/// of the attempt when it is traced. Success = Redis returned the entry id;
/// output <c>{"broker":"redis","mode":"stream","key":…,"id":…}</c>.</para>
/// <para><c>mode: publish</c> runs <c>PUBLISH topic &lt;body&gt;</c> (no headers and no trace context: a channel message is only a payload).
/// Success = Redis accepted it, even with no subscriber; output <c>{"broker":"redis","mode":"publish","channel":…,"receivers":n}</c>.</para>
/// <para>The connect fails fast (<c>abortConnect</c> forced to true, one connect try) instead of queueing commands
/// for a server that is not there; a multiplexer that later loses its server is replaced at the next execution.</para>
/// </remarks>
internal sealed class RedisPublisher : IBrokerPublisher
{
    private readonly BrokerClientPool<ConnectionMultiplexer> _pool;

    public RedisPublisher(BrokerPublisherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _pool = new BrokerClientPool<ConnectionMultiplexer>(ConnectAsync, m => m.IsConnected, CloseAsync, options.ConnectTimeout);
    }

    public string Broker => BrokerDefinition.Redis;

    internal BrokerClientPool<ConnectionMultiplexer> Pool => _pool;

    public async Task<ExecutionOutcome> PublishAsync(BrokerDefinition definition, string idempotencyKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        try
        {
            var multiplexer = await _pool.GetAsync(definition.Connection, ct).ConfigureAwait(false);
            if (definition.Mode == BrokerDefinition.PublishMode)
            {
                var channel = RedisChannel.Literal(definition.Topic);
                var receivers = await multiplexer.GetSubscriber().PublishAsync(channel, definition.Message.Text).WaitAsync(ct).ConfigureAwait(false);
                return ExecutionOutcome.Success(new JsonObject
                {
                    ["broker"] = Broker, ["mode"] = definition.Mode, ["channel"] = definition.Topic, ["receivers"] = receivers,
                }.ToJsonString());
            }
            List<NameValueEntry> fields =
            [
                new(BrokerDefinition.RedisMessageField, definition.Message.Text),
                new(BrokerDefinition.RedisIdempotencyField, idempotencyKey),
                .. definition.Headers.Select(h => new NameValueEntry(h.Key, h.Value)),
            ];
            TraceContext.Inject(fields, static (f, name, value) => f.Add(new NameValueEntry(name, value)));
            var id = await multiplexer.GetDatabase().StreamAddAsync(definition.Topic, [.. fields]).WaitAsync(ct).ConfigureAwait(false);
            return ExecutionOutcome.Success(new JsonObject
            {
                ["broker"] = Broker, ["mode"] = definition.Mode, ["key"] = definition.Topic, ["id"] = id.ToString(),
            }.ToJsonString());
        }
        catch (Exception e) when (!ct.IsCancellationRequested && Classify(e) is { } outcome)
        {
            return outcome;
        }
    }

    private static async Task<ConnectionMultiplexer> ConnectAsync(string connection, CancellationToken ct)
    {
        var options = ConfigurationOptions.Parse(connection);
        options.AbortOnConnectFail = true;
        options.ConnectRetry = 1;
        options.ClientName ??= "metronome";
        await ProbeAsync(options.EndPoints, ct).ConfigureAwait(false);
        var connecting = ConnectionMultiplexer.ConnectAsync(options);
        try
        {
            var multiplexer = await connecting.WaitAsync(ct).ConfigureAwait(false);
            if (multiplexer.IsConnected) return multiplexer;
            await CloseAsync(multiplexer).ConfigureAwait(false);
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "Not connected after the connect completed.", null, CommandStatus.Unknown);
        }
        catch (OperationCanceledException)
        {
            // The library's connect cannot be cancelled: close its multiplexer whenever it completes.
            _ = connecting.ContinueWith(t => t.Result.Dispose(), CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>
    /// Fails at once when every endpoint refuses TCP connections: StackExchange.Redis may otherwise wait its whole
    /// connect timeout for a server that is down, which would hold the attempt (and make a job skip its next slots).
    /// Any other outcome (accepted, unresolvable, unreachable) is left to the library's own connect.
    /// </summary>
    private static async Task ProbeAsync(EndPointCollection endpoints, CancellationToken ct)
    {
        SocketException? refused = null;
        foreach (var endpoint in endpoints)
        {
            using var client = new TcpClient();
            try
            {
                var connect = endpoint switch
                {
                    IPEndPoint ip => client.ConnectAsync(ip.Address, ip.Port, ct),
                    DnsEndPoint dns => client.ConnectAsync(dns.Host, dns.Port, ct),
                    _ => ValueTask.CompletedTask,
                };
                await connect.ConfigureAwait(false);
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                refused = e;
            }
            catch (SocketException)
            {
                return;
            }
        }
        if (refused is not null)
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "Connection refused.", refused, CommandStatus.Unknown);
    }

    private static async ValueTask CloseAsync(ConnectionMultiplexer multiplexer)
    {
        try { await multiplexer.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false); }
        catch (Exception e) when (e is RedisException or ObjectDisposedException or InvalidOperationException) { /* closing anyway */ }
        multiplexer.Dispose();
    }

    /// <summary>Maps what StackExchange.Redis throws to an outcome; null for anything unexpected (the dispatcher reports it).</summary>
    private static ExecutionOutcome? Classify(Exception e) => e switch
    {
        RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure } =>
            ExecutionOutcome.Failure(ErrorKinds.AuthFailed, "Redis refused the credentials."),
        RedisServerException s when IsAuthError(s.Message) =>
            ExecutionOutcome.Failure(ErrorKinds.AuthFailed, "Redis refused the command: " + s.Message),
        RedisConnectionException c when HasSocketError(c, SocketError.TimedOut) =>
            ExecutionOutcome.Failure(ErrorKinds.Timeout, "Connecting to Redis timed out."),
        RedisConnectionException c when HasSocketError(c, SocketError.ConnectionRefused) =>
            ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused, "Connection refused by Redis (is it running and listening there?)."),
        RedisConnectionException c =>
            ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused, $"Could not reach Redis ({c.FailureType})."),
        RedisTimeoutException =>
            ExecutionOutcome.Failure(ErrorKinds.Timeout, "Redis did not answer in time."),
        TimeoutException t => ExecutionOutcome.Failure(ErrorKinds.Timeout, t.Message),
        RedisServerException s => ExecutionOutcome.Failure(ErrorKinds.Rejected, "Redis rejected the message: " + s.Message),
        _ => null,
    };

    private static bool IsAuthError(string message) =>
        message.StartsWith("NOAUTH", StringComparison.Ordinal) || message.StartsWith("WRONGPASS", StringComparison.Ordinal)
        || message.StartsWith("NOPERM", StringComparison.Ordinal);

    private static bool HasSocketError(Exception e, SocketError error)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is SocketException s && s.SocketErrorCode == error) return true;
        return false;
    }

    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}
