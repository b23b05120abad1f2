using Metronome.Core.Audit;

namespace Metronome.Core.Jobs;

public sealed partial class JobService
{
    private static readonly IReadOnlyDictionary<string, AuditChange> Empty = new Dictionary<string, AuditChange>();

    /// <summary>
    /// Records a change of a job made through this service, by the current actor, after it has committed: the diff of the
    /// fields that changed between <paramref name="before"/> and <paramref name="after"/> (null: created / deleted). A change
    /// that changed no field records nothing. The one call the partial files of this service (apply, backfill…) make.
    /// </summary>
    internal ValueTask AuditJobAsync(string action, Job? before, Job? after, string? reason = null)
    {
        var job = after ?? before ?? throw new ArgumentException("a job change has a job before or after it", nameof(after));
        bool isChange = before is not null && after is not null;
        return _audit.RecordAsync(job.Product, action, job.Tag, AuditDiff.Job(before, after), skipIfUnchanged: isChange, reason);
    }

    /// <summary>Records an action on a job that changes none of its fields (a trigger, a backfill), with what it did.</summary>
    internal ValueTask AuditJobActionAsync(string product, string tag, string action, IReadOnlyDictionary<string, AuditChange> details) =>
        _audit.RecordAsync(product, action, tag, details);

    private static Dictionary<string, AuditChange> TriggeredRun(string runId) =>
        new(StringComparer.Ordinal) { ["run"] = new AuditChange(null, System.Text.Json.JsonSerializer.Serialize(runId)) };
}
