using System.Security.Claims;
using System.Text.Encodings.Web;
using Metronome.Core.Catalog;
using Metronome.Server.Api.Sessions;
using Metronome.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Metronome.Server.Api;

/// <summary>
/// The <c>ApiKey</c> authentication scheme: <c>Authorization: Bearer &lt;key&gt;</c> (scheme name case-insensitive) with
/// the admin key or a product key. The admin key is compared in constant time (<see cref="AdminKey"/>); a product key is
/// resolved through the catalog's key cache (<see cref="CatalogService.ResolveKeyAsync"/>), at most once per request.
/// Without that header, the dashboard's session cookie (<see cref="SessionService.CookieName"/>) is accepted in its place,
/// checked against the session store and the key store on every request; such a caller carries <see cref="ApiCaller.SessionClaim"/>
/// (unsafe calls then need the CSRF header: <see cref="ApiAuthorization"/>).
/// No header and no cookie, another scheme or an unknown key leaves the caller unauthenticated; the challenge answers 401 with
/// <c>WWW-Authenticate: Bearer</c>, the forbid 403, both as problem details.
/// </summary>
internal sealed class ApiKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AdminKey adminKey, CatalogService catalog,
    SessionService sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name, which the API's policies name (<see cref="ApiAuthorization"/>).</summary>
    public const string SchemeName = "ApiKey";

    private const string Bearer = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase)) return await SessionAsync();
        var key = header[Bearer.Length..].Trim();
        if (key.Length == 0) return AuthenticateResult.Fail("The bearer key is empty.");
        if (adminKey.Matches(key)) return Success(ApiCaller.Admin());
        var resolved = await catalog.AuthenticateKeyAsync(key, Context.RequestAborted);
        return resolved is null ? AuthenticateResult.Fail("The key is not known.") : Success(ApiCaller.ForKey(resolved));
    }

    private async Task<AuthenticateResult> SessionAsync()
    {
        if (Request.Cookies[SessionService.CookieName] is not { Length: > 0 } cookie) return AuthenticateResult.NoResult();
        if (await sessions.ResolveAsync(cookie, Context.RequestAborted) is not { } session)
            return AuthenticateResult.Fail("The session is not valid (signed out, expired, or its key is gone).");
        // A session made with a product key acts as that key (its id is the audit log's actor).
        ClaimsIdentity identity;
        if (session.Product is null) identity = ApiCaller.Admin();
        else if (SessionService.KeyHashOf(session) is { } hash && await catalog.AuthenticateKeyHashAsync(hash, Context.RequestAborted) is { } key
                 && key.Product == session.Product)
            identity = ApiCaller.ForKey(key);
        else return AuthenticateResult.Fail("The session's key is gone.");
        identity.AddClaim(new Claim(ApiCaller.SessionClaim, "true"));
        return Success(identity);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
            detail: "A valid key is required: Authorization: Bearer <key> (or the dashboard's session cookie).").ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "This call needs the admin key.")
            .ExecuteAsync(Context);

    private AuthenticateResult Success(ClaimsIdentity identity) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
}

/// <summary>Who is calling, as claims of the <see cref="ApiKeyHandler.SchemeName"/> identity: the admin, or one product's key.</summary>
internal static class ApiCaller
{
    /// <summary>The role of the admin key.</summary>
    public const string AdminRole = "admin";

    /// <summary>The claim naming the product whose key is calling.</summary>
    public const string ProductClaim = "metronome:product";

    /// <summary>Present when the caller was authenticated by the dashboard's session cookie rather than a bearer key.</summary>
    public const string SessionClaim = "metronome:session";

    public static ClaimsIdentity Admin() => new([new Claim(ClaimTypes.Role, AdminRole)], ApiKeyHandler.SchemeName);

    /// <summary>The claim naming the id of the product key calling (also for a session made with that key).</summary>
    public const string KeyIdClaim = "metronome:key-id";

    public static ClaimsIdentity ForProduct(string product) => new([new Claim(ProductClaim, product)], ApiKeyHandler.SchemeName);

    public static ClaimsIdentity ForKey(ResolvedKey key) =>
        new([new Claim(ProductClaim, key.Product), new Claim(KeyIdClaim, key.KeyId)], ApiKeyHandler.SchemeName);

    /// <summary>The audit log's actor for this caller: <c>admin</c>, or the id of the key used.</summary>
    public static string? AuditActor(ClaimsPrincipal caller) =>
        caller.IsInRole(AdminRole) ? Core.Audit.AuditActors.Admin : caller.FindFirst(KeyIdClaim)?.Value;

    /// <summary>Whether the caller may see resources of <paramref name="product"/>: the admin, or that product's key.</summary>
    public static bool CanAccess(ClaimsPrincipal caller, string product) =>
        caller.IsInRole(AdminRole) || string.Equals(caller.FindFirst(ProductClaim)?.Value, product, StringComparison.Ordinal);
}
