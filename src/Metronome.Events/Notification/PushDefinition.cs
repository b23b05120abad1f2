using System.Text.Json;
using System.Text.Json.Nodes;
using Metronome.Core;
using Metronome.Core.Templates;
using Metronome.Events.Http;

namespace Metronome.Events.Notification;

/// <summary>
/// The <c>push</c> channel's definition (provider <c>expo</c>): <c>base_url</c> (default <c>https://exp.host</c>),
/// <c>to</c> (push tokens: a string or an array), <c>title</c>, <c>body</c>, <c>data</c> (a JSON object),
/// <c>access_token</c> (Expo's optional push security token) and <c>timeout_ms</c>. Strings are templates.
/// </summary>
internal sealed record PushDefinition(
    string BaseUrl, IReadOnlyList<string> To, string? Title, string? Body, JsonElement? Data, string? AccessToken, TimeSpan? Timeout)
{
    public const string DefaultBaseUrl = "https://exp.host";
    public const string SendPath = "/--/api/v2/push/send";

    private static readonly HashSet<string> Fields =
        ["channel", "provider", "base_url", "to", "title", "body", "data", "access_token", "timeout_ms"];

    public static PushDefinition? Read(JsonElement definition, ValidationErrors errors)
    {
        const string root = NotificationFields.Root;
        var ok = NotificationFields.RejectUnknown(definition, root, Fields, errors);
        NotificationFields.Provider(definition, "expo", errors, ref ok);
        var baseUrl = NotificationFields.BaseUrl(definition, DefaultBaseUrl, errors, ref ok);
        var to = NotificationFields.TextList(definition, "to", errors, allowSingle: true, ref ok);
        var title = NotificationFields.Text(definition, root, "title", errors, required: false, ref ok);
        var body = NotificationFields.Text(definition, root, "body", errors, required: false, ref ok);
        var token = NotificationFields.Text(definition, root, "access_token", errors, required: false, ref ok);
        var data = DefinitionReader.Optional(definition, "data");
        if (data is { ValueKind: not JsonValueKind.Object })
        {
            errors.Add(root + ".data", "Must be a JSON object.");
            ok = false;
        }
        var timeout = NotificationFields.Timeout(definition, errors, ref ok);
        return ok ? new PushDefinition(baseUrl, to!, title, body, data?.Clone(), token, timeout) : null;
    }

    /// <summary>The Expo request for this attempt, or null with <paramref name="problem"/> when a rendered value is unusable.</summary>
    public HttpRequestSpec? ToRequest(TemplateScope scope, out string? problem)
    {
        problem = null;
        if (NotificationFields.ParseBaseUrl(TemplateRenderer.Render(BaseUrl, scope)) is not { } baseUrl)
        {
            problem = "definition.base_url: the rendered value is not an absolute http or https URL.";
            return null;
        }
        var to = new JsonArray();
        foreach (var recipient in To)
        {
            var token = TemplateRenderer.Render(recipient, scope).Trim();
            if (token.Length > 0) to.Add(token);
        }
        if (to.Count == 0)
        {
            problem = "definition.to: every recipient rendered empty.";
            return null;
        }
        // The message object as Expo documents it; "to" may hold several tokens (one ticket comes back per token).
        var message = new JsonObject { ["to"] = to };
        if (Title is not null) message["title"] = TemplateRenderer.Render(Title, scope);
        if (Body is not null) message["body"] = TemplateRenderer.Render(Body, scope);
        if (Data is { } data) message["data"] = TemplateRenderer.RenderJson(data, scope);

        List<KeyValuePair<string, string>> headers = [new("Accept", "application/json")];
        if (AccessToken is not null && TemplateRenderer.Render(AccessToken, scope) is { Length: > 0 } accessToken)
            headers.Add(new("Authorization", "Bearer " + accessToken));
        return new HttpRequestSpec(HttpMethod.Post, new Uri(baseUrl + SendPath), headers, [],
            JsonSerializer.SerializeToElement(message), Timeout);
    }
}
