namespace Metronome.Core.Audit;

/// <summary>Where audit entries are written (the store's audit log).</summary>
public interface IAuditSink
{
    /// <summary>Records one entry durably.</summary>
    ValueTask RecordAsync(AuditRecord record, CancellationToken cancellationToken);
}
