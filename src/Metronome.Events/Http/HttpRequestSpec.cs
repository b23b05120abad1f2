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
internal sealed record HttpRequestSpec(
    HttpMethod Method,
    Uri Url,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    JsonElement? Body,
    TimeSpan? Timeout)
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
        return ok ? new HttpRequestSpec(method, url, headers, query, body, timeout) : null;
    }

    /// <summary>Builds the request message; <paramref name="idempotencyKey"/> wins over a user header of that name.</summary>
    public HttpRequestMessage ToMessage(string? idempotencyKey)
    {
        var request = new HttpRequestMessage(Method, WithQuery(Url, Query));
        if (Body is { } body)
        {
            request.Content = body.ValueKind == JsonValueKind.String
                ? new StringContent(body.GetString()!, Encoding.UTF8, "text/plain")
                : new StringContent(body.GetRawText(), Encoding.UTF8, "application/json");
        }
        foreach (var (name, value) in Headers)
        {
            if (request.Headers.TryAddWithoutValidation(name, value)) continue;
            if (request.Content is null) continue; // a content header without content has nothing to describe
            request.Content.Headers.Remove(name);
            request.Content.Headers.TryAddWithoutValidation(name, value);
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
            if (DefinitionReader.ScalarText(property.Value) is { } text) pairs.Add(new(property.Name, text));
            else { errors.Add(name, "Must be a string, number or boolean."); ok = false; }
        }
        return pairs;
    }

    /// <summary>An RFC 9110 token (method and header names).</summary>
    private static bool IsToken(string text) =>
        text.Length > 0 && text.All(c => c is > ' ' and < (char)127 && !"\"(),/:;<=>?@[\\]{}".Contains(c));
}
