using System.Globalization;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core;
using Microsoft.Net.Http.Headers;

namespace Metronome.Server.Api;

/// <summary>
/// The one reader of request bodies and query values: every way a body can be wrong becomes a
/// <see cref="ValidationFailedException"/> naming the field, which the exception handler answers with 400.
/// </summary>
internal static class JsonBody
{
    private const string BodyField = "body";

    public static async Task<T> ReadAsync<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        RequireJsonContentType(request);
        // Kestrel caps the body at 1 MiB (413 beyond), so buffering it is bounded. A declared length over the cap is
        // refused before reading: a client waiting for "100 Continue" then never uploads the body at all.
        if (request.ContentLength > MetronomeServer.MaxRequestBodyBytes)
            throw new BadHttpRequestException("The request body is larger than 1 MiB.", StatusCodes.Status413PayloadTooLarge);
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length == 0) throw ValidationFailedException.For(BodyField, "A JSON body is required.");
        var json = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);

        try
        {
            // Before anything is deserialised: a string the store or a later GET could not encode must never be kept.
            // Malformed text is left to the serializer below, whose error names the field where the text broke off.
            JsonText.RequireValidUtf16(json);
            return JsonSerializer.Deserialize<T>(json, MetronomeJson.Options)
                ?? throw ValidationFailedException.For(BodyField, "The body must be a JSON object.");
        }
        catch (JsonException e)
        {
            var field = FieldOf(e.Path);
            if (IsUnknownMember(e)) throw ValidationFailedException.For(field, $"Unknown field '{field}'.");
            if (IsWrongType(e)) throw ValidationFailedException.For(field, $"{field} must be {ExpectedKind(e.Message)}.");
            throw ValidationFailedException.For(field, $"The body is not valid JSON: {ReaderMessage(e.Message)}");
        }
    }

    /// <summary>
    /// 415 unless the body is declared JSON: <c>application/json</c> or a <c>+json</c> type such as
    /// <c>application/merge-patch+json</c>, with no charset or UTF-8 (the only encoding JSON on the wire may use).
    /// A body without a Content-Type is not guessed at: that is how a browser form posts across origins.
    /// </summary>
    private static void RequireJsonContentType(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || !(type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                 || (type.Type.Equals("application", StringComparison.OrdinalIgnoreCase) && type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))))
            throw new BadHttpRequestException("The body must be JSON: send Content-Type: application/json.", StatusCodes.Status415UnsupportedMediaType);
        var charset = type.Charset;
        if (charset.HasValue && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            throw new BadHttpRequestException("JSON bodies must be UTF-8.", StatusCodes.Status415UnsupportedMediaType);
    }

    /// <summary>An optional integer query value; anything else is a 400 naming it.</summary>
    public static int? QueryInt(string? value, string name)
    {
        if (value is null) return null;
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) return n;
        throw ValidationFailedException.For(name, $"{name} must be an integer.");
    }

    /// <summary>An optional boolean query value (<c>true</c>/<c>false</c>); anything else is a 400 naming it.</summary>
    public static bool QueryBool(string? value, string name)
    {
        if (value is null) return false;
        if (bool.TryParse(value, out var b)) return b;
        throw ValidationFailedException.For(name, $"{name} must be true or false.");
    }

    /// <summary><c>$.retries.max_attempts</c> → <c>retries.max_attempts</c>; the root is "body".</summary>
    private static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return BodyField;
        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    private static bool IsWrongType(JsonException e) =>
        e.Message.Contains("could not be converted to", StringComparison.Ordinal);

    private static bool IsUnknownMember(JsonException e) =>
        e.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal);

    private static string ExpectedKind(string message)
    {
        // The serializer names the CLR type it could not produce; callers speak JSON, so translate it.
        if (message.Contains("Int64", StringComparison.Ordinal) || message.Contains("Int32", StringComparison.Ordinal)) return "an integer";
        if (message.Contains("System.String", StringComparison.Ordinal)) return "a string";
        if (message.Contains("DateTimeOffset", StringComparison.Ordinal)) return "an ISO-8601 instant";
        if (message.Contains("Boolean", StringComparison.Ordinal)) return "true or false";
        return "a JSON object";
    }

    private static string ReaderMessage(string message)
    {
        // Drop the " Path: $ | LineNumber: ..." tail when it adds nothing; keep position information otherwise.
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        var position = message.IndexOf("LineNumber:", StringComparison.Ordinal);
        return cut < 0 || position < 0 ? message : message[..cut] + " (" + message[position..] + ")";
    }
}
