using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Execution;
using Metronome.Core.Templates;
using Metronome.Events.Http;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Notification;

/// <summary>
/// The <c>sms</c> channel: creates one message through a Twilio-compatible API (see <see cref="SmsDefinition"/>).
/// Succeeds on any 2xx (Twilio answers 201 with the message resource, recorded as the output); 401/403 is
/// <c>auth_failed</c>, any other status <c>rejected</c>.
/// </summary>
internal sealed class SmsChannel(HttpRequestSender sender) : INotificationChannel
{
    private const string Provider = "The SMS provider";

    public string Name => "sms";

    public void Validate(JsonElement definition, ValidationErrors errors) => SmsDefinition.Read(definition, errors);

    public async Task<ExecutionOutcome> SendAsync(JsonElement definition, ExecutionContext context, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (SmsDefinition.Read(definition, errors) is not { } sms)
            return ExecutionOutcome.Failure(ErrorKinds.Exception, "The definition is invalid: " + DefinitionReader.Describe(errors));
        if (sms.ToRequest(TemplateScope.From(context), out var problem) is not { } request)
            return ExecutionOutcome.Failure(ErrorKinds.Exception, "The rendered definition is invalid: " + problem);
        var outcome = await sender.SendAsync(request, context.IdempotencyKey, status => status is >= 200 and < 300, ct).ConfigureAwait(false);
        return ProviderOutcomes.FromHttp(outcome, Provider);
    }
}
