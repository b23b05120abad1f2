using Metronome.Core.Jobs;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Audit;

/// <summary>
/// What <see cref="JobService"/> and <see cref="Catalog.CatalogService"/> call after a change has committed: it stamps the
/// record with the current actor (<see cref="IAuditActorSource"/>) and the time, skips a change that changed nothing,
/// and appends it to the store's log. The change is committed first and its record right after (a separate write): a
/// crash in between loses the record, never the change (docs/security/audit.md). A record that cannot be written is
/// logged as an error and the call still succeeds: the change has been made, and failing the call would invite a retry
/// that repeats it.
/// </summary>
internal sealed partial class AuditTrail(IAuditSink? sink, IAuditActorSource? actors, TimeProvider time, ILogger<AuditTrail>? logger = null)
{
    /// <summary>A trail that records nothing (services built without a store log, e.g. in unit tests).</summary>
    public static AuditTrail None { get; } = new(null, null, TimeProvider.System);

    /// <summary>The actor of the change being made now.</summary>
    public string Actor => actors?.CurrentActor ?? AuditActors.Admin;

    /// <summary>
    /// Records <paramref name="action"/> on <paramref name="target"/> by the current actor. With <paramref name="skipIfUnchanged"/>,
    /// a change whose diff is empty records nothing (an update that changed no field).
    /// </summary>
    public ValueTask RecordAsync(string product, string action, string target, IReadOnlyDictionary<string, AuditChange> changes,
        bool skipIfUnchanged = false, string? reason = null)
    {
        if (sink is null || (skipIfUnchanged && changes.Count == 0)) return ValueTask.CompletedTask;
        return WriteAsync([new AuditRecord(product, Actor, action, target, changes, time.GetUtcNow()) { Reason = reason }]);
    }

    /// <summary>
    /// Records <paramref name="action"/> on each of <paramref name="targets"/> (with its changes) by the current actor, in
    /// one write where the store allows: a call that changed many things at once (a bulk create) does not wait for one
    /// audit write per thing.
    /// </summary>
    public ValueTask RecordManyAsync(string product, string action, IReadOnlyList<(string Target, IReadOnlyDictionary<string, AuditChange> Changes)> targets)
    {
        if (sink is null || targets.Count == 0) return ValueTask.CompletedTask;
        var at = time.GetUtcNow();
        var actor = Actor;
        var records = new AuditRecord[targets.Count];
        for (int i = 0; i < targets.Count; i++) records[i] = new AuditRecord(product, actor, action, targets[i].Target, targets[i].Changes, at);
        return WriteAsync(records);
    }

    private async ValueTask WriteAsync(AuditRecord[] records)
    {
        try
        {
            // No caller token: the change has committed, so its record is written even when the caller has gone away meanwhile.
            if (records.Length == 1) await sink!.RecordAsync(records[0], CancellationToken.None).ConfigureAwait(false);
            else await sink!.RecordBatchAsync(records, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the change is made; losing its record is logged, not turned into a failed call
        catch (Exception e)
#pragma warning restore CA1031
        {
            if (logger is not null)
                foreach (var record in records) LogLost(logger, e, record.Action, record.Product, record.Target, record.Actor);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit record lost: {Action} of '{Target}' in product '{Product}' by {Actor} was made but could not be recorded")]
    private static partial void LogLost(ILogger logger, Exception e, string action, string product, string target, string actor);
}
