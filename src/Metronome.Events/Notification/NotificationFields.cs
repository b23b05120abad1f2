using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Templates;
using Metronome.Events.Http;

namespace Metronome.Events.Notification;

/// <summary>
/// Reads the fields notification channels share, naming errors by their full path (<c>definition.smtp.host</c>).
/// Values are read before rendering: strings are kept as templates and rendered as text per attempt, so a field's
/// JSON type is checked once, at create/update, and a placeholder can never change it.
/// </summary>
internal static class NotificationFields
{
    public const string Root = DefinitionReader.Prefix;

    /// <summary>Adds an error for every property of <paramref name="value"/> not in <paramref name="allowed"/> (catches typos).</summary>
    public static bool RejectUnknown(JsonElement value, string prefix, IReadOnlySet<string> allowed, ValidationErrors errors)
    {
        var ok = true;
        foreach (var property in value.EnumerateObject())
        {
            if (allowed.Contains(property.Name)) continue;
            errors.Add(prefix + "." + property.Name, "Unknown field.");
            ok = false;
        }
        return ok;
    }

    /// <summary>A string field (a template); null when absent, null-valued or of the wrong type (then with an error).</summary>
    public static string? Text(JsonElement value, string prefix, string name, ValidationErrors errors, bool required, ref bool ok)
    {
        var field = prefix + "." + name;
        if (DefinitionReader.Optional(value, name) is not { } element)
        {
            if (required) { errors.Add(field, "Required."); ok = false; }
            return null;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            errors.Add(field, "Must be a string.");
            ok = false;
            return null;
        }
        var text = element.GetString()!;
        if (required && string.IsNullOrWhiteSpace(text)) { errors.Add(field, "Required."); ok = false; }
        return text;
    }

    /// <summary>A non-empty array of strings, or (with <paramref name="allowSingle"/>) one string.</summary>
    public static IReadOnlyList<string>? TextList(JsonElement value, string name, ValidationErrors errors, bool allowSingle, ref bool ok)
    {
        var field = Root + "." + name;
        var expected = allowSingle ? "Must be a string or a non-empty array of strings." : "Must be a non-empty array of strings.";
        switch (DefinitionReader.Optional(value, name))
        {
            case null:
                errors.Add(field, "Required.");
                break;
            case { ValueKind: JsonValueKind.String } single when allowSingle && !string.IsNullOrWhiteSpace(single.GetString()):
                return [single.GetString()!];
            case { ValueKind: JsonValueKind.Array } array when array.GetArrayLength() > 0:
                var items = new List<string>();
                var index = 0;
                foreach (var item in array.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(item.GetString())) items.Add(item.GetString()!);
                    else errors.Add($"{field}[{index}]", "Must be a non-empty string.");
                    index++;
                }
                if (items.Count == index) return items;
                break;
            default:
                errors.Add(field, expected);
                break;
        }
        ok = false;
        return null;
    }

    public static bool? Bool(JsonElement value, string name, ValidationErrors errors, ref bool ok)
    {
        if (DefinitionReader.Optional(value, name) is not { } element) return null;
        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False) return element.GetBoolean();
        errors.Add(Root + "." + name, "Must be true or false.");
        ok = false;
        return null;
    }

    /// <summary>The optional <c>timeout_ms</c> of a channel (the attempt's timeout still applies).</summary>
    public static TimeSpan? Timeout(JsonElement value, ValidationErrors errors, ref bool ok)
    {
        if (DefinitionReader.Optional(value, "timeout_ms") is null) return null;
        if (DefinitionReader.Int(value, "timeout_ms", 1, HttpRequestSpec.MaxTimeoutMs, errors) is { } ms) return TimeSpan.FromMilliseconds(ms);
        ok = false;
        return null;
    }

    /// <summary>Checks a provider name against the one supported (the field may be omitted).</summary>
    public static void Provider(JsonElement value, string supported, ValidationErrors errors, ref bool ok)
    {
        var provider = Text(value, Root, "provider", errors, required: false, ref ok);
        if (provider is null || provider == supported) return;
        errors.Add(Root + ".provider", $"Must be '{supported}'.");
        ok = false;
    }

    /// <summary>An http(s) base URL template; checked now when it has no placeholder, else after rendering.</summary>
    public static string BaseUrl(JsonElement value, string fallback, ValidationErrors errors, ref bool ok)
    {
        var text = Text(value, Root, "base_url", errors, required: false, ref ok) ?? fallback;
        if (!TemplateRenderer.HasPlaceholders(text) && ParseBaseUrl(text) is null)
        {
            errors.Add(Root + ".base_url", "Must be an absolute http or https URL.");
            ok = false;
        }
        return text;
    }

    /// <summary>The rendered base URL without a trailing slash, or null when it is not an absolute http(s) URL.</summary>
    public static string? ParseBaseUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && string.IsNullOrEmpty(url.Query)
            ? url.GetLeftPart(UriPartial.Path).TrimEnd('/')
            : null;
}
