using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Metronome.Server.Dashboard;

/// <summary>
/// Serves the dashboard: one static page (embedded in the assembly, so it works whatever the content root) that
/// talks to the REST API with the key the user types.
/// </summary>
internal static partial class DashboardEndpoints
{
    private static readonly Lazy<string> Page = new(Load);

    /// <summary>
    /// The Content-Security-Policy of every response. The page's one inline script and one inline style are allowed by
    /// their SHA-256 hashes, computed from the embedded page itself, so an edit of the page can never fall out of step
    /// with the policy and no <c>unsafe-inline</c> is needed; anything injected into the page would not run.
    /// </summary>
    public static string ContentSecurityPolicy { get; } = BuildPolicy(Page.Value);

    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => TypedResults.Content(Page.Value, "text/html; charset=utf-8")).ExcludeFromDescription();
    }

    internal static string BuildPolicy(string page)
    {
        static string Hashes(IEnumerable<Match> blocks) => string.Join(' ', blocks.Select(m =>
            $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups[1].Value)))}'"));
        var scripts = Hashes(InlineScript().Matches(page));
        var styles = Hashes(InlineStyle().Matches(page));
        return $"default-src 'none'; script-src {(scripts.Length == 0 ? "'none'" : scripts)}; style-src {(styles.Length == 0 ? "'none'" : styles)}; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    private static string Load()
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("Metronome.Server.Dashboard.index.html")
            ?? throw new InvalidOperationException("The dashboard page is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex InlineScript();

    [GeneratedRegex("<style>(.*?)</style>", RegexOptions.Singleline)]
    private static partial Regex InlineStyle();
}
