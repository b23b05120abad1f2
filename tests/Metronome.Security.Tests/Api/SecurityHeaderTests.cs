using System.Security.Cryptography;
using System.Text;
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
    public async Task The_policy_allows_exactly_the_dashboards_own_inline_script_and_style()
    {
        using var anonymous = server.Client(null);
        var response = await anonymous.GetAsync("/");
        var page = await response.Content.ReadAsStringAsync();
        var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));

        Assert.DoesNotMatch(OnHandlerAttribute(), page); // inline handlers could not be allowed by a hash
        foreach (var (tag, directive) in new[] { ("script", "script-src"), ("style", "style-src") })
        {
            var blocks = Regex.Matches(page, $"<{tag}>(.*?)</{tag}>", RegexOptions.Singleline);
            Assert.NotEmpty(blocks);
            var allowed = Regex.Match(csp, directive + " ([^;]*)").Groups[1].Value;
            foreach (Match block in blocks)
                Assert.Contains($"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(block.Groups[1].Value)))}'", allowed);
        }
        Assert.Contains("connect-src 'self'", csp);
    }

    [GeneratedRegex(@"<[^>]+\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex OnHandlerAttribute();
}
