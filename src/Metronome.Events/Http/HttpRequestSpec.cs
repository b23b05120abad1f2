using System.Text;
using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Templates;

namespace Metronome.Events.Http;

/// <summary>
/// One HTTP request as a definition describes it (<c>method</c>, <c>url</c>, <c>headers</c>, <c>query</c>,
/// <c>body</c>, <c>timeout_ms</c>). Shared by the <c>action</c> event and the <c>webhook</c> notification channel.
/// </summary>
/// <param name="Body">Any JSON; a JSON string is sent as <c>text/plain</c>, anything else as <c>application/json</c>.</param>
/// <param name="Timeout">The definition's own timeout; the attempt's timeout still applies through the token.</param>
/// <param name="FollowRedirects">
/// <c>follow_redirects</c> (default false): a 3xx answer is the result unless the definition asks to follow it.
/// </param>
internal sealed record HttpRequestSpec(
    HttpMethod Method,
    Uri Url,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    JsonElement? Body,
    TimeSpan? Timeout,
    bool FollowRedirects = false)
{
    public const int MaxTimeoutMs = 3_600_000;

    private static readonly Uri PendingUrl = new("http://rendered.at.run.time/");

    /// <summary>
    /// Reads the request fields of <paramref name="definition"/>, adding errors named <c>definition.&lt;field&gt;</c>.
    /// With <paramref name="beforeRendering"/>, strings that still contain placeholders are only checked for shape
    /// (their value is known at run time); the spec returned is then only a sketch and must not be sent.
    /// </summary>
    public static HttpRequestSpec? Read(JsonElement definition, ValidationErrors errors, bool beforeRendering)
    {
        if (!DefinitionReader.IsObject(definition, errors)) return null;
        var ok = true;

        var method = HttpMethod.Get;
        var methodText = DefinitionReader.String(definition, "method", errors, required: false);
        if (methodText is not null && !(beforeRendering && TemplateRenderer.HasPlaceholders(methodText)))
        {
            if (IsToken(methodText)) method = new HttpMethod(methodText.ToUpperInvariant());
            else { errors.Add(DefinitionReader.Field("method"), "Must be an HTTP method such as GET or POST."); ok = false; }
        }

        var url = PendingUrl;
        var urlText = DefinitionReader.String(definition, "url", errors, required: true);
        if (urlText is null) ok = false;
        else if (HeaderText.HasLineBreak(urlText)) { errors.Add(DefinitionReader.Field("url"), HeaderText.Problem); ok = false; }
        else if (!(beforeRendering && TemplateRenderer.HasPlaceholders(urlText)))
        {
            if (Uri.TryCreate(urlText, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https") url = parsed;
            else { errors.Add(DefinitionReader.Field("url"), "Must be an absolute http or https URL."); ok = false; }
        }

        var headers = ReadPairs(definition, "headers", errors, checkNames: true, ref ok);
        var query = ReadPairs(definition, "query", errors, checkNames: false, ref ok);
        var body = DefinitionReader.Optional(definition, "body");

        TimeSpan? timeout = null;
        if (DefinitionReader.Optional(definition, "timeout_ms") is not null)
        {
            if (DefinitionReader.Int(definition, "timeout_ms", 1, MaxTimeoutMs, errors) is { } ms) timeout = TimeSpan.FromMilliseconds(ms);
            else ok = false;
        }
        var follow = false;
        if (DefinitionReader.Optional(definition, "follow_redirects") is { } followValue)
        {
            if (followValue.ValueKind is JsonValueKind.True or JsonValueKind.False) follow = followValue.GetBoolean();
            else { errors.Add(DefinitionReader.Field("follow_redirects"), "Must be true or false."); ok = false; }
        }
        return ok ? new HttpRequestSpec(method, url, headers, query, body, timeout, follow) : null;
    }

    /// <summary>Builds the request message; <paramref name="idempotencyKey"/> wins over a user header of that name.</summary>
    public HttpRequestMessage ToMessage(string? idempotencyKey) =>
        Build(Method, WithQuery(Url, Query), withBody: true, withHeaders: true, idempotencyKey);

    /// <summary>
    /// The request of one redirect hop to <paramref name="target"/>. The definition's headers (credentials, API keys)
    /// go only to the origin they were written for: a hop to another scheme, host or port carries none of them.
    /// </summary>
    public HttpRequestMessage ToRedirect(Uri target, HttpMethod method, bool withBody, string? idempotencyKey) =>
        Build(method, target, withBody, withHeaders: IsSameOrigin(Url, target), idempotencyKey);

    public static bool IsSameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    /// <summary>What of the request would put CR, LF or NUL on the wire (the last line of defence for every sender); null when nothing.</summary>
    public string? FindLineBreak()
    {
        if (HeaderText.HasLineBreak(Url.OriginalString) || HeaderText.HasLineBreak(Method.Method))
            return "definition.url or method: the rendered value contains CR, LF or NUL; nothing was sent.";
        foreach (var (name, value) in Headers)
            if (HeaderText.HasLineBreak(name) || HeaderText.HasLineBreak(value))
                return "definition.headers: a rendered header contains CR, LF or NUL; nothing was sent.";
        return null;
    }

    private HttpRequestMessage Build(HttpMethod method, Uri url, bool withBody, bool withHeaders, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(method, url);
        if (withBody && Body is { } body)
        {
            request.Content = body.ValueKind == JsonValueKind.String
                ? new StringContent(body.GetString()!, Encoding.UTF8, "text/plain")
                : new StringContent(body.GetRawText(), Encoding.UTF8, "application/json");
        }
        foreach (var (name, value) in withHeaders ? Headers : [])
        {
            if (request.Headers.TryAddWithoutValidation(name, value)) continue;
            if (request.Content is null) continue; // a content header without content has nothing to describe
            request.Content.Headers.Remove(name);
            request.Content.Headers.TryAddWithoutValidation(name, value);
        }
        if (!withHeaders && request.Content is not null && Headers.FirstOrDefault(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) is { Key: not null } type)
        {
            // The body's type describes the body, not a credential: it follows the body.
            request.Content.Headers.Remove(type.Key);
            request.Content.Headers.TryAddWithoutValidation(type.Key, type.Value);
        }
        if (idempotencyKey is not null)
        {
            request.Headers.Remove("Idempotency-Key");
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }
        return request;
    }

    private static Uri WithQuery(Uri url, IReadOnlyList<KeyValuePair<string, string>> query)
    {
        if (query.Count == 0) return url;
        var builder = new UriBuilder(url);
        var text = new StringBuilder(builder.Query.TrimStart('?'));
        foreach (var (name, value) in query)
        {
            if (text.Length > 0) text.Append('&');
            text.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }
        builder.Query = text.ToString();
        return builder.Uri;
    }

    private static List<KeyValuePair<string, string>> ReadPairs(
        JsonElement definition, string field, ValidationErrors errors, bool checkNames, ref bool ok)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (DefinitionReader.Optional(definition, field) is not { } value) return pairs;
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(DefinitionReader.Field(field), "Must be an object of names to values.");
            ok = false;
            return pairs;
        }
        foreach (var property in value.EnumerateObject())
        {
            var name = DefinitionReader.Field(field) + "." + property.Name;
            if (checkNames && !IsToken(property.Name)) { errors.Add(name, "Not a valid header name."); ok = false; }
            if (DefinitionReader.ScalarText(property.Value) is { } text)
            {
                // Checked on the literal text too: a CR/LF next to a placeholder is as much an injection as a rendered one.
                if (checkNames && HeaderText.HasLineBreak(text)) { errors.Add(name, HeaderText.Problem); ok = false; }
                pairs.Add(new(property.Name, text));
            }
            else { errors.Add(name, "Must be a string, number or boolean."); ok = false; }
        }
        return pairs;
    }

    /// <summary>An RFC 9110 token (method and header names).</summary>
    private static bool IsToken(string text) =>
        text.Length > 0 && text.All(c => c is > ' ' and < (char)127 && !"\"(),/:;<=>?@[\\]{}".Contains(c));
}
