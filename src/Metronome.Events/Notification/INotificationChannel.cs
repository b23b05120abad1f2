using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Execution;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Notification;

/// <summary>
/// One delivery channel of the <c>notification</c> event (<c>email</c>, <c>webhook</c>, <c>push</c>, <c>sms</c>),
/// chosen by the definition's <c>channel</c> field, as <see cref="Function.IFunctionRuntime"/> is chosen by language.
/// </summary>
internal interface INotificationChannel
{
    /// <summary>The value of <c>channel</c> this handles.</summary>
    string Name { get; }

    /// <summary>Checks the channel's fields (the executor has already checked <c>channel</c> and the templates).</summary>
    void Validate(JsonElement definition, ValidationErrors errors);

    /// <summary>Renders the definition for this attempt and delivers one message.</summary>
    Task<ExecutionOutcome> SendAsync(JsonElement definition, ExecutionContext context, CancellationToken ct);
}
