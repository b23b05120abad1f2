using System.Text.Json;
using System.Text.Json.Nodes;
using Metronome.Contracts;

namespace Metronome.Core.Jobs;

/// <summary>
/// The field diff of a declarative apply, generic over the job contract: the fields compared are those a job update
/// accepts (<see cref="ProductJobUpdate"/>) that a job also shows (<see cref="ProductJob"/>), found by reflection on the
/// wire contract, so a field another part adds to both is diffed without being named here, and read-only state
/// (<c>status</c>, <c>executions_done</c>, <c>next_runs</c>…) never is.
/// </summary>
internal static class JobDiff
{
    /// <summary>The wire names of the fields apply compares, in contract order.</summary>
    public static IReadOnlyList<string> ComparedFields { get; } = FindComparedFields();

    /// <summary>
    /// The fields whose desired value differs from the current one, as field → (old, new). Both sides are a job as
    /// <see cref="JobMapping.ToContract(Job)"/> shows it (so defaults are filled in the same way). A field the desired
    /// side leaves null has no default and is not managed by the file: it is left as the job has it (an update could not
    /// clear it anyway). A field the file gave as the string <c>now</c> (an instant meaning "at once") matches any
    /// instant the job already has: "now" is when the job was created, not a new value at every apply.
    /// </summary>
    /// <param name="current">The job as it is.</param>
    /// <param name="desired">The job as the file's values, validated and with defaults filled, would be.</param>
    /// <param name="given">The file's job as sent (to see which fields said <c>now</c>).</param>
    /// <param name="fields">The fields to compare (<see cref="ComparedFields"/>).</param>
    public static Dictionary<string, JobFieldChange> Compare(JsonElement current, JsonElement desired, JsonElement given, IEnumerable<string> fields)
    {
        var changes = new Dictionary<string, JobFieldChange>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            if (!TryGet(desired, field, out var want)) continue;
            var has = TryGet(current, field, out var have);
            if (has && JsonElement.DeepEquals(have, want)) continue;
            if (has && SaysNow(given, field)) continue;
            changes[field] = new JobFieldChange { Old = has ? have.Clone() : null, New = want.Clone() };
        }
        return changes;
    }

    /// <summary>The partial update that sets exactly the changed fields to their new values.</summary>
    public static ProductJobUpdate ToUpdate(IReadOnlyDictionary<string, JobFieldChange> changes)
    {
        var body = new JsonObject();
        foreach (var (field, change) in changes)
            body[field] = change.New is { } value ? JsonNode.Parse(value.GetRawText()) : null;
        return body.Deserialize<ProductJobUpdate>(MetronomeJson.Options)
            ?? throw new InvalidOperationException("An update body cannot deserialise to null.");
    }

    /// <summary>A job as the wire shows it, as one JSON object.</summary>
    public static JsonElement ToElement(ProductJob job) => JsonSerializer.SerializeToElement(job, MetronomeJson.Options);

    private static bool TryGet(JsonElement obj, string field, out JsonElement value) =>
        obj.TryGetProperty(field, out value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined);

    private static bool SaysNow(JsonElement given, string field) =>
        given.ValueKind == JsonValueKind.Object && given.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String
        && string.Equals(v.GetString(), "now", StringComparison.OrdinalIgnoreCase);

    private static string[] FindComparedFields()
    {
        var shown = MetronomeJson.Options.GetTypeInfo(typeof(ProductJob)).Properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        return [.. MetronomeJson.Options.GetTypeInfo(typeof(ProductJobUpdate)).Properties.Select(p => p.Name).Where(shown.Contains)];
    }
}
