using Metronome.Core.Jobs;

namespace Metronome.Core.Audit;

/// <summary>
/// What <see cref="JobService"/> and <see cref="Catalog.CatalogService"/> call after a change has committed: it stamps the
/// record with the current actor (<see cref="IAuditActorSource"/>) and the time, skips a change that changed nothing,
/// and appends it to the store's log. The change is committed first and its record right after (a separate write): a
/// crash in between loses the record, never the change (docs/security/audit.md).
/// </summary>
internal sealed class AuditTrail(IAuditSink? sink, IAuditActorSource? actors, TimeProvider time)
{
    /// <summary>A trail that records nothing (services built without a store log, e.g. in unit tests).</summary>
    public static AuditTrail None { get; } = new(null, null, TimeProvider.System);

    /// <summary>The actor of the change being made now.</summary>
    public string Actor => actors?.CurrentActor ?? AuditActors.Admin;

    /// <summary>
    /// Records <paramref name="action"/> on <paramref name="target"/> by the current actor. With <paramref name="skipIfUnchanged"/>,
    /// a change whose diff is empty records nothing (an update that changed no field).
    /// </summary>
    public async ValueTask RecordAsync(string product, string action, string target, IReadOnlyDictionary<string, AuditChange> changes,
        bool skipIfUnchanged = false, string? reason = null)
    {
        if (sink is null || (skipIfUnchanged && changes.Count == 0)) return;
        // No caller token: the change has committed, so its record is written even when the caller has gone away meanwhile.
        await sink.RecordAsync(new AuditRecord(product, Actor, action, target, changes, time.GetUtcNow()) { Reason = reason },
            CancellationToken.None).ConfigureAwait(false);
    }
}
