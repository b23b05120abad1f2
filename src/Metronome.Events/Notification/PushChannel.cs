using System.Text.Json;
using System.Text.Json.Nodes;
using Metronome.Core;
using Metronome.Core.Execution;
using Metronome.Core.Templates;
using Metronome.Events.Http;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Notification;

/// <summary>
/// The <c>push</c> channel: POSTs one message to Expo's push API (<c>&lt;base_url&gt;/--/api/v2/push/send</c>).
/// Succeeds on HTTP 200 when no push ticket in the answer's <c>data</c> has <c>status: "error"</c>; an error ticket
/// is <c>rejected</c> (<c>auth_failed</c> for Expo's <c>InvalidCredentials</c>), HTTP 401/403 is <c>auth_failed</c>,
/// any other status <c>rejected</c>.
/// </summary>
internal sealed class PushChannel(HttpRequestSender sender) : INotificationChannel
{
    private const string Provider = "Expo";

    public string Name => "push";

    public void Validate(JsonElement definition, ValidationErrors errors) => PushDefinition.Read(definition, errors);

    public async Task<ExecutionOutcome> SendAsync(JsonElement definition, ExecutionContext context, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (PushDefinition.Read(definition, errors) is not { } push)
            return ExecutionOutcome.Failure(ErrorKinds.Exception, "The definition is invalid: " + DefinitionReader.Describe(errors));
        if (push.ToRequest(TemplateScope.From(context), out var problem) is not { } request)
            return ExecutionOutcome.Failure(ErrorKinds.Exception, "The rendered definition is invalid: " + problem);
        var outcome = await sender.SendAsync(request, context.IdempotencyKey, status => status == 200, ct).ConfigureAwait(false);
        return outcome.Succeeded ? InspectTickets(outcome) : ProviderOutcomes.FromHttp(outcome, Provider);
    }

    /// <summary>Expo answers 200 even when it refuses a message: the verdict is in the tickets.</summary>
    internal static ExecutionOutcome InspectTickets(ExecutionOutcome outcome)
    {
        var body = ProviderOutcomes.Parse(outcome.OutputJson)?["body"] as JsonObject;
        if (body?["errors"] is JsonArray { Count: > 0 } requestErrors)
        {
            var detail = ProviderOutcomes.Text(requestErrors[0]?["message"]) ?? "no message";
            return ExecutionOutcome.Failure(ErrorKinds.Rejected, $"{Provider} rejected the request: {detail}", outcome.OutputJson);
        }
        JsonNode?[]? tickets = body?["data"] switch
        {
            JsonArray array => [.. array],
            JsonObject single => [single],
            _ => null,
        };
        if (tickets is null || tickets.Length == 0)
            return ExecutionOutcome.Failure(ErrorKinds.Rejected, $"{Provider} answered without push tickets.", outcome.OutputJson);
        var failed = tickets.Where(t => ProviderOutcomes.Text(t?["status"]) == "error").ToList();
        if (failed.Count == 0) return outcome;
        var first = failed[0];
        var code = ProviderOutcomes.Text(first?["details"]?["error"]);
        var kind = code == "InvalidCredentials" ? ErrorKinds.AuthFailed : ErrorKinds.Rejected;
        var message = DefinitionReader.Invariant($"{Provider} rejected {failed.Count} of {tickets.Length} messages: ")
            + (ProviderOutcomes.Text(first?["message"]) ?? "no message") + (code is null ? "" : $" ({code})");
        return ExecutionOutcome.Failure(kind, message, outcome.OutputJson);
    }
}
