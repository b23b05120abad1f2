using System.Collections.Frozen;

namespace Metronome.Server.Dashboard;

/// <summary>
/// Serves the dashboard: plain HTML, CSS and ES modules embedded in the assembly (so they work whatever the content root,
/// and users need no build step). The page talks to the REST API with a cookie session (<c>/api/session</c>).
/// </summary>
internal static class DashboardEndpoints
{
    private const string ResourcePrefix = "Metronome.Server.Dashboard.";

    /// <summary>Every embedded dashboard file by its name (<c>index.html</c>, <c>app.js</c>, ...), read once.</summary>
    private static readonly Lazy<FrozenDictionary<string, byte[]>> Files = new(Load);

    /// <summary>
    /// The Content-Security-Policy of every response. Scripts and styles are files of this server only ('self'): no inline
    /// script or style, no <c>eval</c>, no CDN, so anything injected into the page would not run.
    /// </summary>
    public static string ContentSecurityPolicy { get; } =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Serve("index.html")).ExcludeFromDescription();
        app.MapGet("/dashboard/{file}", (string file) => Serve(file)).ExcludeFromDescription();
    }

    private static IResult Serve(string file)
    {
        if (!Files.Value.TryGetValue(file, out var bytes)) return TypedResults.NotFound();
        return TypedResults.Bytes(bytes, ContentType(file));
    }

    internal static string ContentType(string file) => Path.GetExtension(file) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };

    private static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(DashboardEndpoints).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[name[ResourcePrefix.Length..]] = copy.ToArray();
        }
        if (!files.ContainsKey("index.html")) throw new InvalidOperationException("The dashboard page is missing from the assembly.");
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
