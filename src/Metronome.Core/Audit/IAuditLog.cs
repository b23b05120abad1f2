namespace Metronome.Core.Audit;

/// <summary>
/// The store's audit log: written through <see cref="IAuditSink"/>, read newest first one page at a time. Entries are
/// numbered by the store in the order they were appended; a page is the entries below a number.
/// </summary>
public interface IAuditLog : IAuditSink
{
    /// <summary>
    /// The product's entries numbered below <paramref name="beforeId"/> (all when null), newest first, at most
    /// <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<AuditEntry>> ListAuditAsync(string product, int limit, long? beforeId, CancellationToken ct);
}

/// <summary>An audit entry as stored: its number in the log (newer entries have larger numbers) and the record.</summary>
public sealed record AuditEntry(long Id, AuditRecord Record);

/// <summary>
/// Who is making the current change, as the host knows it: the server answers from the request's authenticated caller
/// (<see cref="AuditActors.Admin"/> or the key's id); an embedded host without one of its own records <see cref="AuditActors.Admin"/>,
/// since code in the host acts with every right.
/// </summary>
public interface IAuditActorSource
{
    /// <summary>The actor of the change being made now.</summary>
    string CurrentActor { get; }
}
