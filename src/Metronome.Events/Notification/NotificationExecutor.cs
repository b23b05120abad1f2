using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Execution;
using Metronome.Core.Templates;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Notification;

/// <summary>
/// Executes a <c>notification</c> event: delivers one message on the definition's <c>channel</c>
/// (<c>email</c>, <c>webhook</c>, <c>push</c>, <c>sms</c>). Every string of a definition may be a template.
/// </summary>
internal sealed class NotificationExecutor : IEventExecutor
{
    private readonly Dictionary<string, INotificationChannel> _channels;

    public NotificationExecutor(IEnumerable<INotificationChannel> channels) =>
        _channels = channels.ToDictionary(c => c.Name, StringComparer.Ordinal);

    public string EventType => "notification";

    public void Validate(JsonElement definition, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!DefinitionReader.IsObject(definition, errors)) return;
        if (Channel(definition, errors) is { } channel) channel.Validate(definition, errors);
        TemplateRenderer.Validate(definition, DefinitionReader.Prefix, errors);
    }

    public async Task<ExecutionOutcome> ExecuteAsync(ExecutionContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var document = JsonDocument.Parse(context.Event.DefinitionJson);
        var errors = new ValidationErrors();
        if (!DefinitionReader.IsObject(document.RootElement, errors) || Channel(document.RootElement, errors) is not { } channel)
            return ExecutionOutcome.Failure(ErrorKinds.Exception, "The definition is invalid: " + DefinitionReader.Describe(errors));
        return await channel.SendAsync(document.RootElement, context, ct).ConfigureAwait(false);
    }

    private INotificationChannel? Channel(JsonElement definition, ValidationErrors errors)
    {
        var name = DefinitionReader.String(definition, "channel", errors, required: true);
        if (name is null) return null;
        if (_channels.TryGetValue(name, out var channel)) return channel;
        errors.Add(DefinitionReader.Field("channel"), "Must be one of: " + string.Join(", ", _channels.Keys.Order()) + ".");
        return null;
    }
}
