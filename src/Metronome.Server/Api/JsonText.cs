using System.Text.Json;
using Metronome.Core;

namespace Metronome.Server.Api;

/// <summary>
/// Checks raw JSON text for strings that cannot be valid UTF-16: an unpaired surrogate escape (<c>"\ud800"</c>) or
/// bytes that are not UTF-8. System.Text.Json keeps such text in a <c>JsonElement</c> (a job's <c>input</c>, an event's
/// <c>definition</c>) and fails only when it is written back out, which is how a stored job once made every later GET
/// answer 500. Every property name and string value, at any depth, is checked before the body is deserialised.
/// </summary>
internal static class JsonText
{
    /// <summary>Nesting allowed in a body (the serializer's own default): deeper text is refused while scanning.</summary>
    public const int MaxDepth = 64;

    /// <exception cref="ValidationFailedException">A string is not valid UTF-16; the error names its JSON path.</exception>
    /// <remarks>Stops quietly where the text stops being JSON: the serializer then reports that, naming the field.</remarks>
    public static void RequireValidUtf16(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        var path = new List<string>();
        string? pendingName = null;
        while (TryRead(ref reader))
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    pendingName = Check(ref reader, path, null);
                    break;
                case JsonTokenType.String:
                    Check(ref reader, path, pendingName);
                    pendingName = null;
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    path.Add(pendingName ?? "[]");
                    pendingName = null;
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    if (path.Count > 0) path.RemoveAt(path.Count - 1);
                    break;
                default:
                    pendingName = null;
                    break;
            }
        }
    }

    private static bool TryRead(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Check(ref Utf8JsonReader reader, List<string> path, string? name)
    {
        string text;
        try
        {
            text = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // GetString itself refuses bytes that are not UTF-8.
            throw Invalid(path, name);
        }
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            throw Invalid(path, reader.TokenType == JsonTokenType.PropertyName ? null : name);
        }
        return text;
    }

    private static ValidationFailedException Invalid(List<string> path, string? name)
    {
        var parts = path.Skip(1).Where(p => p != "[]").Append(name).Where(p => p is not null && IsPrintableName(p)).ToList();
        var field = parts.Count == 0 ? "body" : string.Join('.', parts);
        return ValidationFailedException.For(field, "Strings must be valid Unicode: an unpaired surrogate (e.g. \\ud800) or invalid UTF-8 was found.");
    }

    // Field names echoed in an error come from the attacker's own text; only plain ones are worth echoing.
    private static bool IsPrintableName(string? name) =>
        name is { Length: > 0 and <= 100 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');
}
