using System.Text.Json;

namespace Metronome.Contracts;

/// <summary>
/// One entry of a product's audit log (<c>GET /api/products/{product}/audit</c>, newest first): who did what to which
/// object, with the fields that changed. Secret values never appear (a secret's <c>value</c> shows as <c>"***"</c>).
/// </summary>
public sealed class AuditLogEntry
{
    public DateTimeOffset At { get; set; }
    /// <summary><c>admin</c>, <c>engine</c>, or the id of the product key used.</summary>
    public string? Actor { get; set; }
    /// <summary><c>object.verb</c>: <c>job.create</c>, <c>job.update</c>, <c>secret.put</c>, <c>key.revoke</c>…</summary>
    public string? Action { get; set; }
    /// <summary>The object changed: a job's tag, an event's <c>type/tag</c>, a secret's name, a key's id, the product's tag.</summary>
    public string? Target { get; set; }
    /// <summary>Field → its value before and after; empty when the action says it all.</summary>
    public IReadOnlyDictionary<string, AuditFieldChange> Changes { get; set; } = new Dictionary<string, AuditFieldChange>();
    /// <summary>Why, when the actor gave a reason (the engine's automatic pause does).</summary>
    public string? Reason { get; set; }
}

/// <summary>A field's value before (<c>old</c>) and after (<c>new</c>) a change; a side is absent when the field was.</summary>
public sealed class AuditFieldChange
{
    public JsonElement? Old { get; set; }
    public JsonElement? New { get; set; }
}

/// <summary>A product key as listed: never the key itself.</summary>
public sealed class KeyInfo
{
    public string? Id { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When the key was last used (recorded at most once a minute); null when it has not been used.</summary>
    public DateTimeOffset? LastUsedAt { get; set; }
}
