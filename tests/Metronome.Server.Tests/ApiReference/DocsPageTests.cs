using System.Net;
using System.Text.RegularExpressions;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests.ApiReference;

/// <summary>
/// The Scalar UI at <c>/docs</c> is served from this server alone (no CDN: there may be no network) under a policy of its
/// own: scripts only from this origin and by the response's nonce, never inline or eval, and the dashboard keeps its
/// stricter policy.
/// </summary>
public sealed partial class DocsPageTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Docs_page_and_its_script_are_served_by_the_server_itself()
    {
        var response = await Server.Anonymous.GetAsync("/docs");
        var html = await response.ExpectAsync(200);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("openapi/v1.json", html);
        Assert.DoesNotMatch(RemoteReference(), html);
        Assert.Contains("\"withDefaultFonts\":false", html);

        var scripts = ScriptSource().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("scalar.js", scripts);
        foreach (var script in scripts)
        {
            var asset = await Server.Anonymous.GetAsync(new Uri(response.RequestMessage!.RequestUri!, script));
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.Equal("text/javascript", asset.Content.Headers.ContentType?.MediaType);
            Assert.True((await asset.Content.ReadAsByteArrayAsync()).Length > 1000, $"{script} is empty");
        }
    }

    [Fact]
    public async Task Docs_page_scripts_run_only_by_this_responses_nonce_and_the_dashboard_policy_is_unchanged()
    {
        var response = await Server.Anonymous.GetAsync("/docs");
        var html = await response.ExpectAsync(200);
        var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        var scriptSrc = Regex.Match(csp, "script-src ([^;]*)").Groups[1].Value;
        var nonces = Nonce().Matches(html).Select(m => m.Groups[1].Value).Distinct().ToList();
        var nonce = Assert.Single(nonces);
        Assert.Equal($"'self' 'nonce-{nonce}'", scriptSrc);
        Assert.Equal(Regex.Matches(html, "<script").Count, Nonce().Matches(html).Count);
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("connect-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.DoesNotContain("http", csp);

        // A second answer gets a fresh nonce.
        var again = string.Join(",", (await Server.Anonymous.GetAsync("/docs")).Headers.GetValues("Content-Security-Policy"));
        Assert.DoesNotContain(nonce, again);

        var dashboard = string.Join(",", (await Server.Anonymous.GetAsync("/")).Headers.GetValues("Content-Security-Policy"));
        Assert.DoesNotContain("unsafe-inline", dashboard);
        Assert.DoesNotContain("nonce-", dashboard);
    }

    [GeneratedRegex("<script[^>]*\\ssrc=\"([^\"]+)\"")]
    private static partial Regex ScriptSource();

    [GeneratedRegex("nonce=\"([^\"]+)\"")]
    private static partial Regex Nonce();

    [GeneratedRegex("(src|href)=\"(https?:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex RemoteReference();
}
