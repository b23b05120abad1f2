using Metronome.Contracts;
using Metronome.Core;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api.Sessions;

/// <summary>
/// <c>/api/session</c>: the dashboard signs in with a key (exchanged for an HttpOnly, SameSite=Strict cookie), reads its
/// session, and signs out. These three answer without a key; every other <c>/api</c> call accepts the cookie in place of
/// the bearer key (<see cref="ApiKeyHandler"/>).
/// </summary>
internal static class SessionEndpoints
{
    public static void MapSession(this RouteGroupBuilder api)
    {
        var session = api.MapGroup("/session").WithTags("Session").AllowAnonymous();
        session.MapPost("/", SignInAsync).WithName("signIn").Accepts<SessionRequest>("application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized).WithSummary("Sign in: exchange a key for a session cookie");
        session.MapGet("/", GetAsync).WithName("getSession")
            .ProducesProblem(StatusCodes.Status401Unauthorized).WithSummary("The signed-in session");
        session.MapDelete("/", SignOutAsync).WithName("signOut")
            .ProducesProblem(StatusCodes.Status403Forbidden).WithSummary("Sign out: end the session on every node");
    }

    private static async Task<Results<Ok<SessionInfo>, ProblemHttpResult>> SignInAsync(HttpContext http, SessionService sessions, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<SessionRequest>(http.Request, ct);
        if (string.IsNullOrWhiteSpace(body.Key)) throw ValidationFailedException.For("key", "key is required: the admin key or a product key.");
        if (await sessions.SignInAsync(body.Key.Trim(), ct) is not { } signedIn) return Unauthorized("The key is not known.");
        http.Response.Cookies.Append(SessionService.CookieName, signedIn.Cookie, SessionService.CookieOptions(http.Request));
        return TypedResults.Ok(SessionService.ToContract(signedIn.Session));
    }

    private static async Task<Results<Ok<SessionInfo>, ProblemHttpResult>> GetAsync(HttpContext http, SessionService sessions, CancellationToken ct)
    {
        var session = http.Request.Cookies[SessionService.CookieName] is { Length: > 0 } cookie ? await sessions.ResolveAsync(cookie, ct) : null;
        return session is null ? Unauthorized("No valid session: sign in with POST /api/session.") : TypedResults.Ok(SessionService.ToContract(session));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> SignOutAsync(HttpContext http, SessionService sessions, CancellationToken ct)
    {
        if (http.Request.Cookies[SessionService.CookieName] is { Length: > 0 } cookie)
        {
            if (!SessionCsrf.HasHeader(http.Request)) return SessionCsrf.Problem();
            await sessions.SignOutAsync(cookie, ct);
        }
        http.Response.Cookies.Delete(SessionService.CookieName, SessionService.CookieOptions(http.Request));
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: detail);
}

/// <summary>The CSRF rule of cookie sessions: an unsafe method authenticated by the cookie carries <c>X-Metronome-Csrf: 1</c>.</summary>
internal static class SessionCsrf
{
    public static bool HasHeader(HttpRequest request) => request.Headers[SessionService.CsrfHeader] == "1";

    public static bool IsSafe(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);

    public static ProblemHttpResult Problem() => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
        detail: $"A call authenticated by the session cookie that changes something must carry the header {SessionService.CsrfHeader}: 1.");
}
