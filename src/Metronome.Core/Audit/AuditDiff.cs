using System.Text.Json;
using System.Text.Json.Nodes;
using Metronome.Contracts;
using Metronome.Core.Catalog;
using Metronome.Core.Events;
using Metronome.Core.Jobs;

namespace Metronome.Core.Audit;

/// <summary>
/// Field diffs for the audit log, computed on the wire form (snake_case contract JSON), so a field another part adds to
/// the contract is diffed without this class knowing it. Fields the engine changes on its own (counters, next and last
/// run, timestamps) are left out: they are not changes anyone made.
/// </summary>
public static class AuditDiff
{
    /// <summary>What a secret's value is shown as: never the value itself.</summary>
    public const string Masked = "\"***\"";

    // Read-only job fields that move with every run or every write; a diff of them would be noise, not a change.
    private static readonly HashSet<string> VolatileJobFields = new(StringComparer.Ordinal)
    {
        "executions_done", "next_run_at", "last_run_at", "last_run_status", "running", "created_at", "updated_at",
        "next_runs", "consecutive_failures",
    };

    private static readonly HashSet<string> VolatileCatalogFields = new(StringComparer.Ordinal) { "created_at", "updated_at" };

    /// <summary>
    /// The fields of a job that differ between <paramref name="before"/> and <paramref name="after"/> (null: the job did
    /// not exist before / does not exist after, so every field is listed with a null side).
    /// </summary>
    public static IReadOnlyDictionary<string, AuditChange> Job(Job? before, Job? after) =>
        Between(before is null ? null : Wire(before.ToContract()), after is null ? null : Wire(after.ToContract()), VolatileJobFields);

    /// <summary>The fields of an event that differ (name, definition).</summary>
    public static IReadOnlyDictionary<string, AuditChange> Event(EventRecord? before, EventRecord? after) =>
        Between(before is null ? null : Wire(before.ToContract()), after is null ? null : Wire(after.ToContract()), VolatileCatalogFields);

    /// <summary>The fields of a product that differ (name, description, max_concurrency).</summary>
    public static IReadOnlyDictionary<string, AuditChange> Product(ProductRecord? before, ProductRecord? after) =>
        Between(before is null ? null : Wire(before.ToContract()), after is null ? null : Wire(after.ToContract()), VolatileCatalogFields);

    /// <summary>
    /// The top-level fields of two JSON objects that differ, as JSON text (a field absent on one side has a null side),
    /// leaving out <paramref name="ignored"/>. Equal values compare equal whatever their formatting.
    /// </summary>
    public static IReadOnlyDictionary<string, AuditChange> Between(JsonObject? before, JsonObject? after, IReadOnlySet<string>? ignored = null)
    {
        var changes = new SortedDictionary<string, AuditChange>(StringComparer.Ordinal);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        if (before is not null) foreach (var (name, _) in before) names.Add(name);
        if (after is not null) foreach (var (name, _) in after) names.Add(name);
        foreach (var name in names)
        {
            if (ignored?.Contains(name) == true) continue;
            var old = before?[name];
            var now = after?[name];
            if (JsonNode.DeepEquals(old, now)) continue;
            changes[name] = new AuditChange(old?.ToJsonString(), now?.ToJsonString());
        }
        return new Dictionary<string, AuditChange>(changes, StringComparer.Ordinal);
    }

    private static JsonObject Wire<T>(T value) =>
        JsonSerializer.SerializeToNode(value, MetronomeJson.Options) as JsonObject ?? new JsonObject();
}
