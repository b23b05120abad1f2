using System.Net.Sockets;
using System.Text.Json.Nodes;
using Metronome.Core.Execution;
using NATS.Client.Core;

namespace Metronome.Events.Broker;

/// <summary>
/// Publishes to core NATS with NATS.Net, one <see cref="NatsConnection"/> per connection string.
/// </summary>
/// <remarks>
/// <para>The message goes to subject <c>topic</c> with the definition's headers plus <c>Nats-Msg-Id</c> = the attempt's
/// idempotency key <c>product/job/slot</c> (JetStream deduplicates on it when a stream captures the subject), and the
/// attempt's <c>traceparent</c>/<c>tracestate</c> when it is traced.</para>
/// <para>Core NATS has no acknowledgement: success means the publish was flushed to the server and a PING sent after
/// it was answered, so the server has received and processed the message (delivered to the subscribers connected
/// at that moment, if any). Output <c>{"broker":"nats","subject":…,"flushed":true}</c>.</para>
/// <para>A connection found not open (the server went away) is dropped and reopened at the next execution, which
/// fails fast while the server is down; publishes never wait for a reconnect.</para>
/// </remarks>
internal sealed class NatsPublisher : IBrokerPublisher
{
    /// <summary>The header JetStream deduplicates on.</summary>
    public const string MessageIdHeader = "Nats-Msg-Id";

    private readonly BrokerClientPool<NatsConnection> _pool;
    private readonly TimeSpan _connectTimeout;

    public NatsPublisher(BrokerPublisherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _connectTimeout = options.ConnectTimeout;
        _pool = new BrokerClientPool<NatsConnection>(ConnectAsync, c => c.ConnectionState == NatsConnectionState.Open, CloseAsync, options.ConnectTimeout);
    }

    public string Broker => BrokerDefinition.Nats;

    internal BrokerClientPool<NatsConnection> Pool => _pool;

    public async Task<ExecutionOutcome> PublishAsync(BrokerDefinition definition, string idempotencyKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        NatsConnection? connection = null;
        try
        {
            connection = await _pool.GetAsync(definition.Connection, ct).ConfigureAwait(false);
            var headers = new NatsHeaders();
            foreach (var (name, value) in definition.Headers) headers[name] = value;
            headers[MessageIdHeader] = idempotencyKey;
            TraceContext.Inject(headers, static (h, name, value) => h[name] = value);
            if (!await PublishAndConfirmAsync(connection, definition, headers, ct).ConfigureAwait(false))
            {
                await _pool.EvictAsync(definition.Connection, connection).ConfigureAwait(false);
                return ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused,
                    "The connection to NATS was lost before the server confirmed the message.");
            }
            return ExecutionOutcome.Success(new JsonObject { ["broker"] = Broker, ["subject"] = definition.Topic, ["flushed"] = true }.ToJsonString());
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && connection is not null)
        {
            // NATS.Net cancels pending commands when it loses the connection (the server stopped between our
            // check of the connection and the PING): the message may not have arrived.
            await _pool.EvictAsync(definition.Connection, connection).ConfigureAwait(false);
            return ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused,
                "The connection to NATS was lost before the server confirmed the message.");
        }
        catch (Exception e) when (!ct.IsCancellationRequested && Classify(e) is { } outcome)
        {
            return outcome;
        }
    }

    /// <summary>
    /// Publishes, then waits for the PONG of a PING sent after the message (the server handles a connection's commands
    /// in order, so the PONG proves the message was received). Returns false as soon as the connection drops:
    /// NATS.Net would otherwise keep the PING pending while it tries to reconnect, holding the attempt.
    /// </summary>
    private static async Task<bool> PublishAndConfirmAsync(NatsConnection connection, BrokerDefinition definition, NatsHeaders headers, CancellationToken ct)
    {
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ValueTask OnDisconnected(object? sender, NatsEventArgs args)
        {
            lost.TrySetResult();
            return ValueTask.CompletedTask;
        }
        connection.ConnectionDisconnected += OnDisconnected;
        try
        {
            if (connection.ConnectionState != NatsConnectionState.Open) return false;
            var confirm = ConfirmAsync();
            if (await Task.WhenAny(confirm, lost.Task).WaitAsync(ct).ConfigureAwait(false) == confirm)
            {
                await confirm.ConfigureAwait(false);
                return true;
            }
            _ = confirm.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return false;
        }
        finally
        {
            connection.ConnectionDisconnected -= OnDisconnected;
        }

        async Task ConfirmAsync()
        {
            await connection.PublishAsync(definition.Topic, definition.Message.ToUtf8(), headers, cancellationToken: ct).ConfigureAwait(false);
            await connection.PingAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task<NatsConnection> ConnectAsync(string url, CancellationToken ct)
    {
        var connection = new NatsConnection(NatsOpts.Default with
        {
            Url = url,
            Name = "metronome",
            // The pool's deadline (the same connect timeout) decides a slow connect and reports it as a timeout; NATS.Net's
            // own timer, were it to fire first, would surface as a NatsException and read as "connection refused".
            ConnectTimeout = _connectTimeout + TimeSpan.FromSeconds(1),
            RetryOnInitialConnect = false,
            PublishTimeoutOnDisconnected = true,
        });
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await CloseAsync(connection).ConfigureAwait(false);
            throw;
        }
    }

    private static async ValueTask CloseAsync(NatsConnection connection)
    {
        try { await connection.DisposeAsync().ConfigureAwait(false); }
        catch (Exception e) when (e is NatsException or ObjectDisposedException or InvalidOperationException or IOException) { }
    }

    /// <summary>Maps what NATS.Net throws to an outcome; null for anything unexpected (the dispatcher reports it).</summary>
    private static ExecutionOutcome? Classify(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner.Message.Contains("authorization violation", StringComparison.OrdinalIgnoreCase)
                || inner.Message.Contains("authentication", StringComparison.OrdinalIgnoreCase))
                return ExecutionOutcome.Failure(ErrorKinds.AuthFailed, "NATS refused the credentials (authorization violation).");
        if (Find<TimeoutException>(e) is { } timeout)
            return ExecutionOutcome.Failure(ErrorKinds.Timeout, timeout.Message);
        if (Find<SocketException>(e) is { SocketErrorCode: SocketError.TimedOut })
            return ExecutionOutcome.Failure(ErrorKinds.Timeout, "Connecting to NATS timed out.");
        if (e is NatsException)
            return ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused, "Could not reach NATS: " + Innermost(e).Message);
        return null;
    }

    private static T? Find<T>(Exception e) where T : Exception
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is T found) return found;
        return null;
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);

    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}
