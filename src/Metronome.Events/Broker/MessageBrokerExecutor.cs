using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Execution;
using Metronome.Core.Templates;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Broker;

/// <summary>
/// Executes a <c>messagebroker</c> event: renders the definition's templates (connection included, usually
/// <c>{{secrets.NAME}}</c>), then publishes one message with the publisher of its <c>broker</c>; success = the broker
/// confirmed it (see each publisher for what that means). Publishers keep one pooled connection per connection
/// string for the life of the process and close them when this singleton is disposed.
/// </summary>
internal sealed class MessageBrokerExecutor : IEventExecutor, IAsyncDisposable, IDisposable
{
    private readonly Dictionary<string, IBrokerPublisher> _publishers;
    private int _disposed;

    public MessageBrokerExecutor() : this(new BrokerPublisherOptions()) { }

    /// <summary>The executor owns its publishers (and so their connections): they live and die with it.</summary>
    internal MessageBrokerExecutor(BrokerPublisherOptions options)
    {
        IBrokerPublisher[] publishers = [new RedisPublisher(options), new RabbitMqPublisher(options), new NatsPublisher(options)];
        _publishers = publishers.ToDictionary(p => p.Broker, StringComparer.Ordinal);
    }

    public string EventType => "messagebroker";

    /// <summary>The publisher for <paramref name="broker"/> (tests inspect its pool).</summary>
    internal IBrokerPublisher Publisher(string broker) => _publishers[broker];

    public void Validate(JsonElement definition, ValidationErrors errors)
    {
        BrokerDefinition.Read(definition, errors, beforeRendering: true);
        TemplateRenderer.Validate(definition, DefinitionReader.Prefix, errors);
    }

    public async Task<ExecutionOutcome> ExecuteAsync(ExecutionContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var document = JsonDocument.Parse(context.Event.DefinitionJson);
        var rendered = TemplateRenderer.RenderElement(document.RootElement, TemplateScope.From(context));
        // A CR/LF in a rendered header would end the header line on the wire (NATS) or forge a field: never published.
        if (HeaderText.FindInRendered(rendered) is { } injection) return ExecutionOutcome.Failure(ErrorKinds.Rejected, injection);
        var errors = new ValidationErrors();
        if (BrokerDefinition.Read(rendered, errors, beforeRendering: false) is not { } definition)
        {
            // Only values known at run time (a templated connection or topic, a missing secret) can get here.
            return ExecutionOutcome.Failure(ErrorKinds.Exception, "The rendered definition is invalid: " + DefinitionReader.Describe(errors));
        }
        if (!_publishers.TryGetValue(definition.Broker, out var publisher))
            return ExecutionOutcome.Failure(ErrorKinds.NotRegistered, $"No publisher for broker '{definition.Broker}' on this node.");
        return await publisher.PublishAsync(definition, context.IdempotencyKey, ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var publisher in _publishers.Values) await publisher.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>For containers disposed synchronously; closes the connections the same way.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
