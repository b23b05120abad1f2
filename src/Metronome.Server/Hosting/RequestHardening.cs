using Microsoft.AspNetCore.Http.Features;

namespace Metronome.Server.Hosting;

/// <summary>
/// What every request and response goes through before routing: security headers on every answer (also errors and
/// 404s), and a 400 for dot segments in the raw request target. Kestrel resolves <c>/jobs/..</c> and
/// <c>/jobs/%2e%2e</c> before routing, so <c>DELETE …/jobs/..</c> once reached <c>DELETE /api/products/{product}</c>:
/// a client that sends a dot segment never means a resource, so the target is refused instead of normalised.
/// </summary>
internal static class RequestHardening
{
    /// <summary>
    /// Adds the headers, whatever writes the response (endpoints, the exception handler, status pages). The policy is
    /// chosen per request when the response starts (the API reference page has its own, with a per-response nonce).
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app, Func<HttpContext, string> contentSecurityPolicy) => app.Use((http, next) =>
    {
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.ContentSecurityPolicy = contentSecurityPolicy(http);
            return Task.CompletedTask;
        });
        return next(http);
    });

    /// <summary>400 for a <c>.</c> or <c>..</c> path segment, literal or percent-encoded (<c>%2e</c>, <c>%2E</c>, <c>.%2e</c>).</summary>
    public static IApplicationBuilder UseDotSegmentRefusal(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is not null && HasDotSegment(raw))
            throw new BadHttpRequestException("The request path must not contain '.' or '..' segments.", StatusCodes.Status400BadRequest);
        return next(http);
    });

    internal static bool HasDotSegment(string rawTarget)
    {
        var path = rawTarget.AsSpan();
        // Absolute form (http://host/path): only the path counts.
        int scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0 && path[..scheme].IndexOf('/') < 0)
        {
            var afterAuthority = path[(scheme + 3)..];
            int slash = afterAuthority.IndexOf('/');
            path = slash < 0 ? [] : afterAuthority[slash..];
        }
        int query = path.IndexOfAny('?', '#');
        if (query >= 0) path = path[..query];
        foreach (var range in path.Split('/'))
        {
            var segment = path[range];
            if (segment.Length is 0 or > 6) continue;
            var decoded = segment.ToString().Replace("%2e", ".", StringComparison.OrdinalIgnoreCase);
            if (decoded is "." or "..") return true;
        }
        return false;
    }
}
