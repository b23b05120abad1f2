using System.Globalization;
using System.Text.Json;
using Metronome.Core;

namespace Metronome.Events;

/// <summary>
/// Small helpers that read typed fields from a definition, adding errors named <c>definition.&lt;field&gt;</c>.
/// Shared by every event type so their messages read the same.
/// </summary>
internal static class DefinitionReader
{
    public const string Prefix = "definition";

    public static bool IsObject(JsonElement definition, ValidationErrors errors)
    {
        if (definition.ValueKind == JsonValueKind.Object) return true;
        errors.Add(Prefix, "The definition must be a JSON object.");
        return false;
    }

    public static JsonElement? Optional(JsonElement definition, string name) =>
        definition.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
            ? value
            : null;

    public static string? String(JsonElement definition, string name, ValidationErrors errors, bool required)
    {
        var value = Optional(definition, name);
        if (value is null)
        {
            if (required) errors.Add(Field(name), "Required.");
            return null;
        }
        if (value.Value.ValueKind != JsonValueKind.String)
        {
            errors.Add(Field(name), "Must be a string.");
            return null;
        }
        var text = value.Value.GetString()!;
        if (required && string.IsNullOrWhiteSpace(text)) errors.Add(Field(name), "Required.");
        return text;
    }

    public static int? Int(JsonElement definition, string name, int min, int max, ValidationErrors errors)
    {
        var value = Optional(definition, name);
        if (value is null) return null;
        if (value.Value.ValueKind == JsonValueKind.Number && value.Value.TryGetInt32(out var n) && n >= min && n <= max) return n;
        errors.Add(Field(name), $"Must be an integer from {min} to {max}.");
        return null;
    }

    /// <summary>Text of a scalar (strings as is, numbers and bools as JSON text); null for objects and arrays.</summary>
    public static string? ScalarText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => string.Empty,
        _ => null,
    };

    public static string Field(string name) => Prefix + "." + name;

    /// <summary>One line listing the collected errors (for an execution-time failure message).</summary>
    public static string Describe(ValidationErrors errors)
    {
        try
        {
            errors.ThrowIfAny();
            return string.Empty;
        }
        catch (ValidationFailedException e)
        {
            return string.Join("; ", e.Errors.Select(kv => kv.Key + ": " + string.Join(" ", kv.Value)));
        }
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
