using System.Globalization;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core;

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
        // Kestrel caps the body at 1 MiB (413 beyond), so buffering it is bounded. A declared length over the cap is
        // refused before reading: a client waiting for "100 Continue" then never uploads the body at all.
        if (request.ContentLength > MetronomeServer.MaxRequestBodyBytes)
            throw new BadHttpRequestException("The request body is larger than 1 MiB.", StatusCodes.Status413PayloadTooLarge);
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length == 0) throw ValidationFailedException.For(BodyField, "A JSON body is required.");

        try
        {
            return JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), MetronomeJson.Options)
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
