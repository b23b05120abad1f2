using System.Text;
using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Templates;
using Metronome.Events.Http;

namespace Metronome.Events.Notification;

/// <summary>
/// The <c>sms</c> channel's definition (provider <c>twilio</c>, or any Twilio-compatible API): <c>base_url</c>
/// (default <c>https://api.twilio.com</c>), <c>account_sid</c>, <c>auth_token</c>, <c>from</c>, <c>to</c>, <c>body</c>
/// and <c>timeout_ms</c>. Strings are templates; <c>auth_token</c> is normally <c>{{secrets.NAME}}</c>.
/// </summary>
internal sealed record SmsDefinition(
    string BaseUrl, string AccountSid, string AuthToken, string From, string To, string Body, TimeSpan? Timeout)
{
    public const string DefaultBaseUrl = "https://api.twilio.com";

    private static readonly HashSet<string> Fields =
        ["channel", "provider", "base_url", "account_sid", "auth_token", "from", "to", "body", "timeout_ms"];

    public static SmsDefinition? Read(JsonElement definition, ValidationErrors errors)
    {
        const string root = NotificationFields.Root;
        var ok = NotificationFields.RejectUnknown(definition, root, Fields, errors);
        NotificationFields.Provider(definition, "twilio", errors, ref ok);
        var baseUrl = NotificationFields.BaseUrl(definition, DefaultBaseUrl, errors, ref ok);
        var sid = NotificationFields.Text(definition, root, "account_sid", errors, required: true, ref ok);
        var token = NotificationFields.Text(definition, root, "auth_token", errors, required: true, ref ok);
        var from = NotificationFields.Text(definition, root, "from", errors, required: true, ref ok);
        var to = NotificationFields.Text(definition, root, "to", errors, required: true, ref ok);
        var body = NotificationFields.Text(definition, root, "body", errors, required: true, ref ok);
        var timeout = NotificationFields.Timeout(definition, errors, ref ok);
        return ok ? new SmsDefinition(baseUrl, sid!, token!, from!, to!, body!, timeout) : null;
    }

    /// <summary>
    /// The request Twilio documents: form fields <c>To</c>, <c>From</c>, <c>Body</c> POSTed to
    /// <c>&lt;base_url&gt;/2010-04-01/Accounts/&lt;account_sid&gt;/Messages.json</c> with HTTP basic auth
    /// <c>account_sid:auth_token</c>. Null with <paramref name="problem"/> when a rendered value is unusable.
    /// </summary>
    public HttpRequestSpec? ToRequest(TemplateScope scope, out string? problem)
    {
        problem = null;
        var sid = TemplateRenderer.Render(AccountSid, scope).Trim();
        var token = TemplateRenderer.Render(AuthToken, scope);
        var from = TemplateRenderer.Render(From, scope).Trim();
        var to = TemplateRenderer.Render(To, scope).Trim();
        var body = TemplateRenderer.Render(Body, scope);
        var baseUrl = NotificationFields.ParseBaseUrl(TemplateRenderer.Render(BaseUrl, scope));
        if (baseUrl is null) problem = "definition.base_url: the rendered value is not an absolute http or https URL.";
        else if (sid.Length == 0 || token.Length == 0 || from.Length == 0 || to.Length == 0)
            problem = "definition.account_sid, auth_token, from and to must not render empty.";
        if (problem is not null) return null;

        var url = new Uri($"{baseUrl}/2010-04-01/Accounts/{Uri.EscapeDataString(sid)}/Messages.json");
        var form = $"To={FormEncode(to)}&From={FormEncode(from)}&Body={FormEncode(body)}";
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes(sid + ":" + token));
        List<KeyValuePair<string, string>> headers =
        [
            new("Accept", "application/json"),
            new("Authorization", "Basic " + credentials),
            new("Content-Type", "application/x-www-form-urlencoded"),
        ];
        return new HttpRequestSpec(HttpMethod.Post, url, headers, [], JsonSerializer.SerializeToElement(form), Timeout);
    }

    /// <summary><c>application/x-www-form-urlencoded</c> as browsers and <c>FormUrlEncodedContent</c> write it.</summary>
    private static string FormEncode(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);
}
