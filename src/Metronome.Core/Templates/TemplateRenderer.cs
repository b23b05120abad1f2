using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Metronome.Core.Templates;

/// <summary>
/// Renders <c>{{ path }}</c> placeholders in event definitions. Pure: no I/O, no ambient state.
/// </summary>
/// <remarks>
/// <para>Roots: <c>input.a.b[0]</c> (or <c>input.a.b.0</c>; <c>input</c> alone is the whole input), <c>job.tag</c>,
/// <c>job.name</c>, <c>run.id</c>, <c>run.slot</c>, <c>run.scheduled_at</c> (ISO-8601, UTC, e.g.
/// <c>2025-01-02T03:04:05Z</c>), <c>run.attempt</c>, <c>secrets.NAME</c>, and in an <c>on_failure</c> hook <c>failed.job_tag</c>, <c>failed.slot</c>,
/// <c>failed.status</c>, <c>failed.error</c>, <c>failed.run_id</c> (empty elsewhere). Whitespace inside the braces is ignored.</para>
/// <para>Missing values: an input path that does not exist, or a secret that is not defined, renders as the empty
/// string, so a template never fails at run time; <see cref="Validate"/> catches unknown roots and fields up front.
/// There is no escape syntax: an unclosed <c>{{</c> is literal text.</para>
/// <para>Inside a larger string, an input value renders as its text (strings unquoted, other JSON as compact JSON,
/// <c>null</c> as empty). When <see cref="RenderJson"/> meets a string that is exactly one placeholder, the value
/// keeps its JSON type: an input number, bool, object, array or null stays that JSON value, and <c>run.slot</c> /
/// <c>run.attempt</c> become numbers. Everything else (job, run.id, run.scheduled_at, secrets, missing paths) is a
/// string. Consumers that need text (URLs, headers) convert scalars back to their JSON text.</para>
/// </remarks>
public static class TemplateRenderer
{
    /// <summary>Renders every placeholder in <paramref name="template"/> as text.</summary>
    public static string Render(string template, TemplateScope scope)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(scope);
        if (!CompiledTemplate.HasPlaceholders(template)) return template;
        var compiled = CompiledTemplate.Get(template);
        var builder = new StringBuilder(template.Length + 32);
        foreach (var segment in compiled.Segments)
        {
            if (segment.IsLiteral) builder.Append(segment.Literal);
            else AppendText(builder, segment, scope);
        }
        return builder.ToString();
    }

    /// <summary>
    /// Renders every string value of <paramref name="definition"/>, recursively (object property values and array
    /// items; property names are not rendered). Single-placeholder strings keep their JSON type (see remarks).
    /// </summary>
    public static JsonNode? RenderJson(JsonElement definition, TemplateScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        switch (definition.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in definition.EnumerateObject()) obj[property.Name] = RenderJson(property.Value, scope);
                return obj;
            case JsonValueKind.Array:
                var array = new JsonArray();
                foreach (var item in definition.EnumerateArray()) array.Add(RenderJson(item, scope));
                return array;
            case JsonValueKind.String:
                return RenderStringValue(definition.GetString()!, scope);
            case JsonValueKind.Undefined:
                return null;
            default:
                return JsonNode.Parse(definition.GetRawText());
        }
    }

    /// <summary>As <see cref="RenderJson"/>, returned as a detached <see cref="JsonElement"/>.</summary>
    public static JsonElement RenderElement(JsonElement definition, TemplateScope scope) =>
        JsonSerializer.SerializeToElement(RenderJson(definition, scope));

    /// <summary>
    /// Checks every string value of <paramref name="definition"/>, adding an error per bad string named by its path
    /// under <paramref name="fieldPrefix"/> (e.g. <c>definition.body.x</c>, <c>definition.to[0]</c>).
    /// </summary>
    public static void Validate(JsonElement definition, string fieldPrefix, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(fieldPrefix);
        ArgumentNullException.ThrowIfNull(errors);
        switch (definition.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in definition.EnumerateObject())
                    Validate(property.Value, fieldPrefix + "." + property.Name, errors);
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in definition.EnumerateArray())
                    Validate(item, $"{fieldPrefix}[{index++}]", errors);
                break;
            case JsonValueKind.String:
                ValidateString(definition.GetString()!, fieldPrefix, errors);
                break;
        }
    }

    /// <summary>Checks one template string, adding an error named <paramref name="field"/> if it is bad.</summary>
    public static void ValidateString(string template, string field, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(errors);
        if (!CompiledTemplate.HasPlaceholders(template)) return;
        if (CompiledTemplate.Get(template).Error is { } error) errors.Add(field, error);
    }

    /// <summary>True when <paramref name="text"/> contains a placeholder (its final value is known only at run time).</summary>
    public static bool HasPlaceholders(string text) => CompiledTemplate.HasPlaceholders(text);

    private static JsonNode? RenderStringValue(string text, TemplateScope scope)
    {
        if (!CompiledTemplate.HasPlaceholders(text)) return JsonValue.Create(text);
        var compiled = CompiledTemplate.Get(text);
        if (!compiled.IsSinglePlaceholder) return JsonValue.Create(Render(text, scope));
        var segment = compiled.Segments[0];
        switch (segment.Root)
        {
            case TemplateRoot.Input:
                if (!TryResolveInput(scope.Input, segment.Path, out var value)) return JsonValue.Create(string.Empty);
                return value.ValueKind == JsonValueKind.Null ? null : JsonNode.Parse(value.GetRawText());
            case TemplateRoot.Run when segment.Path[0] == "slot":
                return JsonValue.Create(scope.Slot);
            case TemplateRoot.Run when segment.Path[0] == "attempt":
                return JsonValue.Create(scope.Attempt);
            case TemplateRoot.Failed when segment.Path[0] == "slot" && scope.Failed is { } failed:
                return JsonValue.Create(failed.Slot);
            default:
                return JsonValue.Create(Render(text, scope));
        }
    }

    private static void AppendText(StringBuilder builder, TemplateSegment segment, TemplateScope scope)
    {
        switch (segment.Root)
        {
            case TemplateRoot.Input:
                if (TryResolveInput(scope.Input, segment.Path, out var value)) AppendJsonText(builder, value);
                break;
            case TemplateRoot.Job:
                builder.Append(segment.Path[0] == "tag" ? scope.JobTag : scope.JobName);
                break;
            case TemplateRoot.Run:
                builder.Append(segment.Path[0] switch
                {
                    "id" => scope.RunId,
                    "slot" => scope.Slot.ToString(CultureInfo.InvariantCulture),
                    "attempt" => scope.Attempt.ToString(CultureInfo.InvariantCulture),
                    _ => FormatTimestamp(scope.ScheduledAt),
                });
                break;
            case TemplateRoot.Secrets:
                if (scope.Secrets.TryGetValue(segment.Path[0], out var secret)) builder.Append(secret);
                break;
            case TemplateRoot.Failed when scope.Failed is { } failed:
                builder.Append(segment.Path[0] switch
                {
                    "job_tag" => failed.JobTag,
                    "slot" => failed.Slot.ToString(CultureInfo.InvariantCulture),
                    "status" => failed.Status,
                    "error" => failed.Error,
                    _ => failed.RunId,
                });
                break;
        }
    }

    /// <summary>ISO-8601 in UTC with the fraction only when there is one: <c>2025-01-02T03:04:05.25Z</c>.</summary>
    public static string FormatTimestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static void AppendJsonText(StringBuilder builder, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String: builder.Append(value.GetString()); break;
            case JsonValueKind.Null or JsonValueKind.Undefined: break;
            case JsonValueKind.Object or JsonValueKind.Array: builder.Append(JsonSerializer.Serialize(value)); break; // compact
            default: builder.Append(value.GetRawText()); break;
        }
    }

    private static bool TryResolveInput(JsonElement input, string[] path, out JsonElement value)
    {
        value = input;
        foreach (var part in path)
        {
            if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty(part, out var child)) value = child;
            else if (value.ValueKind == JsonValueKind.Array && int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
                     && i < value.GetArrayLength()) value = value[i];
            else return false;
        }
        return value.ValueKind != JsonValueKind.Undefined;
    }
}
