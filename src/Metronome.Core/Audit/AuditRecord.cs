namespace Metronome.Core.Audit;

/// <summary>
/// One entry of a product's audit log: who (<see cref="Actor"/>) did what (<see cref="Action"/>, e.g. <c>job.update</c>)
/// to which object (<see cref="Target"/>, e.g. the job's tag), with a field diff. Secret values never appear in it.
/// </summary>
/// <param name="Product">The product the change belongs to.</param>
/// <param name="Actor"><see cref="AuditActors.Admin"/>, <see cref="AuditActors.Engine"/>, or the id of the API key used.</param>
/// <param name="Action">What was done, <c>object.verb</c>: <c>job.create</c>, <c>job.pause</c>, <c>secret.put</c>, <c>key.revoke</c>…</param>
/// <param name="Target">The object changed (a job or event tag, a secret name, a key id).</param>
/// <param name="Changes">Field name → old and new value (JSON text); empty when the action says it all.</param>
/// <param name="At">When the change was made.</param>
public sealed record AuditRecord(string Product, string Actor, string Action, string Target,
    IReadOnlyDictionary<string, AuditChange> Changes, DateTimeOffset At)
{
    /// <summary>Why the change was made, when the actor says so (the engine's automatic pause gives its reason).</summary>
    public string? Reason { get; init; }
}

/// <summary>A field's value before and after a change, as JSON text (null: the field was absent).</summary>
public sealed record AuditChange(string? OldJson, string? NewJson);

/// <summary>The actors that are not API keys.</summary>
public static class AuditActors
{
    /// <summary>The admin key.</summary>
    public const string Admin = "admin";

    /// <summary>The engine itself (automatic pause after failures, resume at <c>until</c>).</summary>
    public const string Engine = "engine";
}
