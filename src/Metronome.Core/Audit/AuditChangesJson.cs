using System.Text.Json;
using System.Text.Json.Nodes;

namespace Metronome.Core.Audit;

/// <summary>
/// How a record's <see cref="AuditRecord.Changes"/> is stored (one JSON text column, the same in every store):
/// <c>{"field": {"old": …, "new": …}}</c>, a side omitted when it is null — the wire shape of <c>changes</c>.
/// </summary>
public static class AuditChangesJson
{
    /// <summary>The changes as one JSON object.</summary>
    public static string Write(IReadOnlyDictionary<string, AuditChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var root = new JsonObject();
        foreach (var (field, change) in changes)
        {
            var pair = new JsonObject();
            if (change.OldJson is not null) pair["old"] = JsonNode.Parse(change.OldJson);
            if (change.NewJson is not null) pair["new"] = JsonNode.Parse(change.NewJson);
            root[field] = pair;
        }
        return root.ToJsonString();
    }

    /// <summary>Changes read back from <see cref="Write"/>'s text.</summary>
    public static IReadOnlyDictionary<string, AuditChange> Read(string json)
    {
        var changes = new Dictionary<string, AuditChange>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(json);
        foreach (var field in doc.RootElement.EnumerateObject())
        {
            string? old = field.Value.TryGetProperty("old", out var o) ? o.GetRawText() : null;
            string? now = field.Value.TryGetProperty("new", out var n) ? n.GetRawText() : null;
            changes[field.Name] = new AuditChange(old, now);
        }
        return changes;
    }
}

/// <summary>Domain → wire for the audit log.</summary>
public static class AuditMapping
{
    /// <summary>The entry as the API shows it.</summary>
    public static Contracts.AuditLogEntry ToContract(this AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new Contracts.AuditLogEntry
        {
            At = record.At,
            Actor = record.Actor,
            Action = record.Action,
            Target = record.Target,
            Changes = record.Changes.ToDictionary(c => c.Key, c => new Contracts.AuditFieldChange { Old = Element(c.Value.OldJson), New = Element(c.Value.NewJson) },
                StringComparer.Ordinal),
            Reason = record.Reason,
        };
    }

    private static JsonElement? Element(string? json)
    {
        if (json is null) return null;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }
}
