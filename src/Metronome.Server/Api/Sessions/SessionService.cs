using System.Security.Cryptography;
using System.Text;
using Metronome.Contracts;
using Metronome.Core.Catalog;
using Metronome.Server.Hosting;
using Microsoft.AspNetCore.DataProtection;

namespace Metronome.Server.Api.Sessions;

/// <summary>
/// The dashboard's cookie sessions. Sign-in exchanges a key for a random session id; the cookie carries that id protected
/// by Data Protection (whose key ring every node of a cluster shares, so any node can read a cookie another issued), and the
/// session store keeps only the id's hash, who signed in and when the session ends. No key is kept in the browser or in the
/// store. Every request checks the session against the key store again: a deleted product or key, or a changed admin key,
/// ends it at once. Sessions slide: each use (at most once a minute, to spare the store a write per request) extends them to
/// <see cref="IdleTimeout"/> from then.
/// </summary>
internal sealed class SessionService(ISessionStore store, IDataProtectionProvider protection, AdminKey adminKey, CatalogService catalog, TimeProvider time)
{
    public const string CookieName = "metronome_session";

    /// <summary>The header an unsafe call authenticated by the cookie must carry (value <c>1</c>): a CSRF defence on top of SameSite.</summary>
    public const string CsrfHeader = "X-Metronome-Csrf";

    /// <summary>A session unused for this long ends.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(8);

    private const string KeyPrincipal = "key:";
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);
    private readonly IDataProtector _protector = protection.CreateProtector("Metronome.Session.v1");

    /// <summary>A new session for <paramref name="key"/> and its cookie value, or null when the key is not known.</summary>
    public async Task<(SessionRecord Session, string Cookie)?> SignInAsync(string key, CancellationToken ct)
    {
        string principal;
        string? product = null;
        if (adminKey.Matches(key)) principal = adminKey.Fingerprint;
        else if ((product = await catalog.ResolveKeyAsync(key, ct)) is not null) principal = KeyPrincipal + CatalogService.HashKey(key);
        else return null;

        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        var session = new SessionRecord(HashId(id), principal, product, now, now, now + IdleTimeout);
        await store.CreateAsync(session, ct);
        return (session, _protector.Protect(id));
    }

    /// <summary>The live session the cookie names, checked against the key store; null when there is none.</summary>
    public async Task<SessionRecord?> ResolveAsync(string cookie, CancellationToken ct)
    {
        if (Unprotect(cookie) is not { } id) return null;
        var now = time.GetUtcNow();
        if (await store.FindAsync(HashId(id), now, ct) is not { } session) return null;
        bool valid = session.Product is null
            ? session.Principal == adminKey.Fingerprint
            : session.Principal.StartsWith(KeyPrincipal, StringComparison.Ordinal)
              && await catalog.ResolveKeyHashAsync(session.Principal[KeyPrincipal.Length..], ct) == session.Product;
        if (!valid) return null;
        if (now - session.TouchedAt < TouchEvery) return session;
        session = session with { TouchedAt = now, ExpiresAt = now + IdleTimeout };
        await store.TouchAsync(session.IdHash, session.TouchedAt, session.ExpiresAt, ct);
        return session;
    }

    /// <summary>Ends the session the cookie names (on every node: its row is gone), if any.</summary>
    public async Task SignOutAsync(string cookie, CancellationToken ct)
    {
        if (Unprotect(cookie) is { } id) await store.DeleteAsync(HashId(id), ct);
    }

    /// <summary>The hash of the product key a session was made with (null for an admin session).</summary>
    public static string? KeyHashOf(SessionRecord session) =>
        session.Product is not null && session.Principal.StartsWith(KeyPrincipal, StringComparison.Ordinal) ? session.Principal[KeyPrincipal.Length..] : null;

    public static SessionInfo ToContract(SessionRecord session) =>
        new() { Product = session.Product, Admin = session.Product is null, ExpiresAt = session.ExpiresAt };

    public static CookieOptions CookieOptions(HttpRequest request) =>
        new() { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", Secure = request.IsHttps, IsEssential = true };

    private string? Unprotect(string cookie)
    {
        try
        {
            return _protector.Unprotect(cookie);
        }
        catch (CryptographicException)
        {
            return null; // forged, damaged, or protected with a key this ring does not have
        }
    }

    private static string HashId(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
}
