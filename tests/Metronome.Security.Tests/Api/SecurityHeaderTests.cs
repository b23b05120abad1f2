using System.Text.RegularExpressions;
using Metronome.Contracts;

namespace Metronome.Security.Tests.Api;

/// <summary>Attack 16: responses carried no CSP, X-Frame-Options or nosniff. Every response carries them now.</summary>
public sealed partial class SecurityHeaderTests(HostileServer server) : IClassFixture<HostileServer>
{
    private static void AssertHardened(HttpResponseMessage response)
    {
        var h = response.Headers;
        Assert.Equal("nosniff", string.Join(",", h.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", string.Join(",", h.GetValues("X-Frame-Options")));
        Assert.Equal("no-referrer", string.Join(",", h.GetValues("Referrer-Policy")));
        var csp = string.Join(",", h.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
    }

    [Fact]
    public async Task The_dashboard_and_api_answers_of_every_kind_carry_the_headers()
    {
        var tenant = await server.CreateTenantAsync("headers");
        using var anonymous = server.Client(null);

        AssertHardened(await anonymous.GetAsync("/"));
        AssertHardened(await tenant.Http.GetAsync(Routes.Jobs(tenant.Product)));          // 200
        AssertHardened(await tenant.Http.GetAsync(Routes.Job(tenant.Product, "missing"))); // 404
        AssertHardened(await anonymous.GetAsync(Routes.Jobs(tenant.Product)));              // 401
        AssertHardened(await tenant.Http.GetAsync(Routes.Products));                       // 403
        AssertHardened(await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), "{"));      // 400
        AssertHardened(await anonymous.GetAsync("/healthz"));
        AssertHardened(await anonymous.GetAsync("/no-such-page"));
    }

    [Fact]
    public async Task The_policy_allows_only_the_dashboards_own_files_and_they_never_write_html()
    {
        using var anonymous = server.Client(null);
        var response = await anonymous.GetAsync("/");
        var page = await response.Content.ReadAsStringAsync();
        var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));

        Assert.Contains("script-src 'self';", csp);
        Assert.Contains("style-src 'self';", csp);
        Assert.Contains("connect-src 'self'", csp);
        Assert.DoesNotContain("sha256-", csp);
        Assert.DoesNotMatch(OnHandlerAttribute(), page);
        Assert.DoesNotMatch(InlineBlock(), page);        // no inline script or style: 'self' would refuse them anyway
        Assert.DoesNotContain(" style=", page);

        // Every module the page loads (following imports) comes from this server and builds the DOM from text only.
        var pending = new Queue<string>(Regex.Matches(page, "src=\"/dashboard/([a-z-]+\\.js)\"").Select(m => m.Groups[1].Value));
        Assert.NotEmpty(pending);
        var seen = new HashSet<string>();
        while (pending.TryDequeue(out var file))
        {
            if (!seen.Add(file)) continue;
            var module = await anonymous.GetAsync("/dashboard/" + file);
            Assert.Equal(System.Net.HttpStatusCode.OK, module.StatusCode);
            Assert.Equal("text/javascript", module.Content.Headers.ContentType?.MediaType);
            var code = await module.Content.ReadAsStringAsync();
            foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "sessionStorage", "localStorage" })
                Assert.False(code.Contains(sink, StringComparison.Ordinal), $"{file} uses {sink}");
            foreach (Match import in Regex.Matches(code, "from \"\\./([a-z-]+\\.js)\""))
                pending.Enqueue(import.Groups[1].Value);
        }
        Assert.True(seen.Count >= 5, "the dashboard's modules: " + string.Join(", ", seen));
    }

    [GeneratedRegex(@"<script[^>]*>\s*[^<\s]|<style", RegexOptions.IgnoreCase)]
    private static partial Regex InlineBlock();

    [GeneratedRegex(@"<[^>]+\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex OnHandlerAttribute();
}
