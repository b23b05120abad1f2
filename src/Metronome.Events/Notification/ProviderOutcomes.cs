using System.Text.Json.Nodes;
using Metronome.Core.Execution;

namespace Metronome.Events.Notification;

/// <summary>
/// Turns what a provider's HTTP API answered into error kinds: 401/403 mean the credentials were refused
/// (<c>auth_failed</c>), any other unexpected status means the provider rejected the message (<c>rejected</c>).
/// Connection failures and timeouts from <see cref="Http.HttpRequestSender"/> keep their kind.
/// </summary>
internal static class ProviderOutcomes
{
    public static ExecutionOutcome FromHttp(ExecutionOutcome outcome, string provider)
    {
        if (outcome.Succeeded || outcome.ErrorKind != ErrorKinds.HttpStatus) return outcome;
        var output = Parse(outcome.OutputJson);
        var status = output?["status"] is JsonValue value && value.TryGetValue<int>(out var code) ? code : 0;
        var kind = status is 401 or 403 ? ErrorKinds.AuthFailed : ErrorKinds.Rejected;
        var detail = Text(output?["body"]?["message"]) ?? Text(output?["body"]?["errors"]?[0]?["message"]);
        var message = DefinitionReader.Invariant($"{provider} answered HTTP {status}") + (detail is null ? "." : $": {detail}");
        return ExecutionOutcome.Failure(kind, message, outcome.OutputJson);
    }

    public static JsonNode? Parse(string? json)
    {
        if (json is null) return null;
        try { return JsonNode.Parse(json); }
        catch (System.Text.Json.JsonException) { return null; }
    }

    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
