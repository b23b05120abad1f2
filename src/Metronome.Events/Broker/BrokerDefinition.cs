using System.Text;
using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Templates;

namespace Metronome.Events.Broker;

/// <summary>
/// The definition of a <c>messagebroker</c> event: <c>broker</c> (<c>redis</c>, <c>rabbitmq</c>, <c>nats</c>),
/// <c>connection</c> (the client library's own format, usually <c>{{secrets.NAME}}</c>), <c>topic</c> (Redis stream key
/// or channel, RabbitMQ routing key, NATS subject), <c>mode</c> (Redis only: <c>stream</c>, the default, or
/// <c>publish</c>), <c>exchange</c> (RabbitMQ only, default <c>""</c>, the default exchange), <c>message</c> (a JSON
/// string is sent as is, any other JSON value as compact JSON text) and <c>headers</c> (names to scalar values).
/// Unknown fields are rejected, so a misspelt field is caught when the event is created.
/// </summary>
internal sealed record BrokerDefinition(
    string Broker,
    string Connection,
    string Topic,
    string Mode,
    string Exchange,
    BrokerPayload Message,
    IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public const string Redis = "redis";
    public const string RabbitMq = "rabbitmq";
    public const string Nats = "nats";
    public const string StreamMode = "stream";
    public const string PublishMode = "publish";

    /// <summary>The Redis stream field holding the message.</summary>
    public const string RedisMessageField = "message";

    /// <summary>The Redis stream field holding the attempt's idempotency key.</summary>
    public const string RedisIdempotencyField = "idempotency_key";

    public static IReadOnlyList<string> Brokers { get; } = [Nats, RabbitMq, Redis];

    private static readonly string[] KnownFields = ["broker", "connection", "topic", "mode", "exchange", "message", "headers"];

    /// <summary>
    /// Reads (and checks) a definition, adding errors named <c>definition.&lt;field&gt;</c>. With
    /// <paramref name="beforeRendering"/>, values that still contain placeholders are only checked for shape (their
    /// value is known at run time) and the result is a sketch that must not be published.
    /// </summary>
    public static BrokerDefinition? Read(JsonElement definition, ValidationErrors errors, bool beforeRendering)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!DefinitionReader.IsObject(definition, errors)) return null;
        var ok = true;
        foreach (var property in definition.EnumerateObject())
        {
            if (KnownFields.Contains(property.Name, StringComparer.Ordinal)) continue;
            errors.Add(DefinitionReader.Field(property.Name), "Unknown field (expected " + string.Join(", ", KnownFields) + ").");
            ok = false;
        }

        var broker = DefinitionReader.String(definition, "broker", errors, required: true);
        if (broker is not null && !Brokers.Contains(broker, StringComparer.Ordinal))
        {
            if (!string.IsNullOrWhiteSpace(broker)) errors.Add(DefinitionReader.Field("broker"), "Must be one of: " + string.Join(", ", Brokers) + ".");
            broker = null;
        }
        ok &= broker is not null;

        var connection = Text(definition, "connection", errors, beforeRendering, required: true);
        if (connection is null) ok = false;
        else if (broker is not null && IsFinal(connection, beforeRendering) && CheckConnection(broker, connection) is { } problem)
        {
            errors.Add(DefinitionReader.Field("connection"), problem);
            ok = false;
        }

        var topic = Text(definition, "topic", errors, beforeRendering, required: true);
        if (topic is null) ok = false;
        else if (broker is not null && IsFinal(topic, beforeRendering) && CheckTopic(broker, topic) is { } problem)
        {
            errors.Add(DefinitionReader.Field("topic"), problem);
            ok = false;
        }

        var mode = ReadMode(definition, broker, errors, ref ok);
        var exchange = ReadExchange(definition, broker, errors, beforeRendering, ref ok);
        var headers = ReadHeaders(definition, broker, mode, errors, ref ok);

        BrokerPayload? message = null;
        if (DefinitionReader.Optional(definition, "message") is { } value) message = BrokerPayload.From(value);
        else { errors.Add(DefinitionReader.Field("message"), "Required."); ok = false; }

        return ok ? new BrokerDefinition(broker!, connection!, topic!, mode, exchange, message!, headers) : null;
    }

    private static bool IsFinal(string text, bool beforeRendering) => !(beforeRendering && TemplateRenderer.HasPlaceholders(text));

    /// <summary>A required or optional string; after rendering, a number or bool (a single placeholder) counts as its text.</summary>
    private static string? Text(JsonElement definition, string name, ValidationErrors errors, bool beforeRendering, bool required)
    {
        if (!beforeRendering && DefinitionReader.Optional(definition, name) is { ValueKind: JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False } scalar)
            return DefinitionReader.ScalarText(scalar);
        return DefinitionReader.String(definition, name, errors, required) is { } text && !(required && string.IsNullOrWhiteSpace(text)) ? text : null;
    }

    private static string ReadMode(JsonElement definition, string? broker, ValidationErrors errors, ref bool ok)
    {
        var present = DefinitionReader.Optional(definition, "mode") is not null;
        if (broker is not (null or Redis) && present)
        {
            errors.Add(DefinitionReader.Field("mode"), "Only used with broker redis.");
            ok = false;
            return string.Empty;
        }
        var mode = DefinitionReader.String(definition, "mode", errors, required: false);
        if (present && mode is not (StreamMode or PublishMode))
        {
            if (mode is not null) errors.Add(DefinitionReader.Field("mode"), "Must be stream or publish.");
            ok = false;
        }
        return broker == Redis ? mode ?? StreamMode : string.Empty;
    }

    private static string ReadExchange(JsonElement definition, string? broker, ValidationErrors errors, bool beforeRendering, ref bool ok)
    {
        var present = DefinitionReader.Optional(definition, "exchange") is not null;
        if (!present) return string.Empty;
        if (broker is not (null or RabbitMq))
        {
            errors.Add(DefinitionReader.Field("exchange"), "Only used with broker rabbitmq.");
            ok = false;
            return string.Empty;
        }
        var exchange = Text(definition, "exchange", errors, beforeRendering, required: false);
        if (exchange is null) { ok = false; return string.Empty; }
        if (IsFinal(exchange, beforeRendering) && Encoding.UTF8.GetByteCount(exchange) > 255)
        {
            errors.Add(DefinitionReader.Field("exchange"), "Must be at most 255 bytes.");
            ok = false;
        }
        return exchange;
    }

    private static List<KeyValuePair<string, string>> ReadHeaders(JsonElement definition, string? broker, string mode, ValidationErrors errors, ref bool ok)
    {
        var headers = new List<KeyValuePair<string, string>>();
        if (DefinitionReader.Optional(definition, "headers") is not { } value) return headers;
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(DefinitionReader.Field("headers"), "Must be an object of names to values.");
            ok = false;
            return headers;
        }
        if (broker == Redis && mode == PublishMode && value.EnumerateObject().Any())
        {
            errors.Add(DefinitionReader.Field("headers"), "A Redis channel message carries no headers; use mode stream (one field per header).");
            ok = false;
            return headers;
        }
        foreach (var property in value.EnumerateObject())
        {
            var field = DefinitionReader.Field("headers") + "." + property.Name;
            if (CheckHeaderName(broker, property.Name) is { } problem) { errors.Add(field, problem); ok = false; }
            if (DefinitionReader.ScalarText(property.Value) is { } text)
            {
                if (HeaderText.HasLineBreak(text)) { errors.Add(field, HeaderText.Problem); ok = false; }
                headers.Add(new(property.Name, text));
            }
            else { errors.Add(field, "Must be a string, number or boolean."); ok = false; }
        }
        return headers;
    }

    private static string? CheckHeaderName(string? broker, string name)
    {
        if (name.Length == 0) return "A header name must not be empty.";
        if (HeaderText.HasLineBreak(name)) return HeaderText.Problem;
        return broker switch
        {
            Redis when name is RedisMessageField or RedisIdempotencyField => $"'{name}' is a reserved stream field.",
            Nats when !name.All(c => c is > ' ' and < (char)127 && c != ':') => "A NATS header name is printable ASCII without ':' or spaces.",
            RabbitMq when Encoding.UTF8.GetByteCount(name) > 255 => "Must be at most 255 bytes.",
            _ => null,
        };
    }

    /// <summary>Checks the shape of a (rendered) connection string; null when it looks usable. Never quotes it.</summary>
    internal static string? CheckConnection(string broker, string connection)
    {
        switch (broker)
        {
            case Redis:
                try
                {
                    if (StackExchange.Redis.ConfigurationOptions.Parse(connection).EndPoints.Count > 0) return null;
                }
                catch (ArgumentException) { /* reported below */ }
                return "Must be a StackExchange.Redis configuration string such as 127.0.0.1:6379,password=...";
            case RabbitMq:
                return Uri.TryCreate(connection, UriKind.Absolute, out var amqp) && amqp.Scheme is "amqp" or "amqps" && amqp.Host.Length > 0
                    ? null
                    : "Must be an AMQP URI such as amqp://user:pass@host:5672/vhost.";
            default:
                var urls = connection.Split(',', StringSplitOptions.TrimEntries);
                return urls.All(u => Uri.TryCreate(u, UriKind.Absolute, out var nats) && nats.Scheme is "nats" or "tls" or "ws" or "wss" && nats.Host.Length > 0)
                    ? null
                    : "Must be a NATS URL such as nats://host:4222 (several separated by commas).";
        }
    }

    /// <summary>Checks a (rendered) topic for the broker; null when it is valid.</summary>
    internal static string? CheckTopic(string broker, string topic) => broker switch
    {
        RabbitMq when Encoding.UTF8.GetByteCount(topic) > 255 => "A routing key must be at most 255 bytes.",
        Nats when topic.Any(char.IsWhiteSpace) || topic.Split('.').Any(t => t.Length == 0 || t is "*" or ">")
            => "Must be a NATS subject: dot-separated tokens, no spaces, no wildcards (* or >).",
        _ => null,
    };
}

/// <summary>A message body as sent: a JSON string's text as is, any other JSON value as compact JSON text.</summary>
internal sealed record BrokerPayload(string Text, bool IsJson)
{
    public static BrokerPayload From(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? new BrokerPayload(value.GetString()!, IsJson: false)
        : new BrokerPayload(JsonSerializer.Serialize(value), IsJson: true);

    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(Text);
}
