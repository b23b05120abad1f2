namespace Metronome.Core.Audit;

/// <summary>Where audit entries are written (the store's audit log).</summary>
public interface IAuditSink
{
    /// <summary>Records one entry durably.</summary>
    ValueTask RecordAsync(AuditRecord record, CancellationToken cancellationToken);

    /// <summary>
    /// Records several entries durably, in order; a store writes them in one transaction (one disk flush for many
    /// concurrent changes). The default writes them one by one.
    /// </summary>
    async ValueTask RecordBatchAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var record in records) await RecordAsync(record, cancellationToken).ConfigureAwait(false);
    }
}
