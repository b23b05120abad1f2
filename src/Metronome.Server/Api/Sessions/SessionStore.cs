using System.Collections.Concurrent;

namespace Metronome.Server.Api.Sessions;

/// <summary>
/// A dashboard session as stored: the SHA-256 of its secret id (the cookie carries the id, protected; the store never holds
/// it), who signed in (<see cref="Principal"/>: the product key's hash, or the admin key's fingerprint) and when it ends.
/// </summary>
internal sealed record SessionRecord(string IdHash, string Principal, string? Product, DateTimeOffset CreatedAt, DateTimeOffset TouchedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// Where sessions live so that every node agrees on them: sign-out deletes the row, so an old cookie replayed on any node
/// finds nothing. PostgreSQL (a cluster) keeps them in a table of the shared database; a single SQLite node in memory.
/// </summary>
internal interface ISessionStore
{
    Task CreateAsync(SessionRecord session, CancellationToken ct);

    /// <summary>The session, or null when it does not exist or has expired by <paramref name="now"/>.</summary>
    Task<SessionRecord?> FindAsync(string idHash, DateTimeOffset now, CancellationToken ct);

    /// <summary>Slides the session's end (a use of it).</summary>
    Task TouchAsync(string idHash, DateTimeOffset touchedAt, DateTimeOffset expiresAt, CancellationToken ct);

    Task DeleteAsync(string idHash, CancellationToken ct);
}

/// <summary>
/// Sessions of a single node (SQLite store): kept in memory, so a restart signs everyone out (the dashboard asks for a key
/// again). Expired sessions are dropped when met and swept on every sign-in so the map cannot grow without bound.
/// </summary>
internal sealed class InMemorySessionStore : ISessionStore
{
    private readonly ConcurrentDictionary<string, SessionRecord> _sessions = new(StringComparer.Ordinal);

    public Task CreateAsync(SessionRecord session, CancellationToken ct)
    {
        foreach (var (id, s) in _sessions)
            if (s.ExpiresAt <= session.CreatedAt) _sessions.TryRemove(id, out _);
        _sessions[session.IdHash] = session;
        return Task.CompletedTask;
    }

    public Task<SessionRecord?> FindAsync(string idHash, DateTimeOffset now, CancellationToken ct)
    {
        if (!_sessions.TryGetValue(idHash, out var s)) return Task.FromResult<SessionRecord?>(null);
        if (s.ExpiresAt > now) return Task.FromResult<SessionRecord?>(s);
        _sessions.TryRemove(idHash, out _);
        return Task.FromResult<SessionRecord?>(null);
    }

    public Task TouchAsync(string idHash, DateTimeOffset touchedAt, DateTimeOffset expiresAt, CancellationToken ct)
    {
        if (_sessions.TryGetValue(idHash, out var s)) _sessions.TryUpdate(idHash, s with { TouchedAt = touchedAt, ExpiresAt = expiresAt }, s);
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string idHash, CancellationToken ct)
    {
        _sessions.TryRemove(idHash, out _);
        return Task.CompletedTask;
    }
}
