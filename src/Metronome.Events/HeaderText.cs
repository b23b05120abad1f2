using System.Text.Json;

namespace Metronome.Events;

/// <summary>
/// CR, LF and NUL end a header line on the wire: in a header name or value (HTTP, AMQP, NATS, a Redis stream field)
/// they would let an input value add headers or smuggle a second request. They are refused wherever they appear,
/// literal (400 when the event is created) or rendered (a failed run of kind <c>rejected</c>, nothing sent).
/// </summary>
internal static class HeaderText
{
    public const string Problem = "Must not contain CR, LF or NUL characters.";

    public static bool HasLineBreak(string? text) => text is not null && text.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0;

    /// <summary>
    /// The first field of <paramref name="definition"/> among <paramref name="fields"/> (strings) and the names and
    /// values of its <c>headers</c> object that holds CR, LF or NUL, as <c>definition.field: problem</c>; null when none.
    /// </summary>
    public static string? FindInRendered(JsonElement definition, params string[] fields)
    {
        if (definition.ValueKind != JsonValueKind.Object) return null;
        foreach (var field in fields)
        {
            if (DefinitionReader.Optional(definition, field) is { ValueKind: JsonValueKind.String } value && HasLineBreak(value.GetString()))
                return $"{DefinitionReader.Field(field)}: the rendered value contains CR, LF or NUL; nothing was sent.";
        }
        if (DefinitionReader.Optional(definition, "headers") is { ValueKind: JsonValueKind.Object } headers)
        {
            foreach (var header in headers.EnumerateObject())
            {
                if (HasLineBreak(header.Name) || (header.Value.ValueKind == JsonValueKind.String && HasLineBreak(header.Value.GetString())))
                    return $"{DefinitionReader.Field("headers")}.{header.Name.ReplaceLineEndings(" ").Replace('\0', ' ')}: the rendered value contains CR, LF or NUL; nothing was sent.";
            }
        }
        return null;
    }
}
