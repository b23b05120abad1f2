using System.Net;
using System.Net.Http.Json;
using Metronome.Contracts;

namespace Metronome.Security.Tests.Isolation;

/// <summary>
/// The dashboard's calls keep tenants apart exactly like the rest of the API: another product's resources are 404 to a
/// product key and to a product's cookie session (whatever the query), and nothing answers without a key or session.
/// </summary>
public sealed class DashboardIsolationTests(HostileServer server) : IClassFixture<HostileServer>
{
    /// <summary>Paths under the victim's product (<c>/api/products/{victim}</c>), job <c>j</c> existing.</summary>
    public static TheoryData<string> VictimPaths => new()
    {
        "/stats",
        "/stats?minutes=0", // authorization comes before validation: no 400 reveals the product
        "/runs",
        "/runs?status=failed,timed_out,abandoned",
        "/jobs?q=j",
        "/jobs/j/runs?slot=0",
        "/secrets",
    };

    [Theory]
    [MemberData(nameof(VictimPaths))]
    public async Task Another_products_dashboard_data_is_missing_to_a_product_key_and_its_session(string path)
    {
        var (victim, evil) = await TenantsAsync();
        var url = Routes.Product(victim.Product) + path;

        Assert.Equal(HttpStatusCode.NotFound, (await evil.Http.GetAsync(url)).StatusCode);
        using var session = await SessionClientAsync(evil.Http.DefaultRequestHeaders.Authorization!.Parameter!);
        Assert.Equal(HttpStatusCode.NotFound, (await session.GetAsync(url)).StatusCode);
        using var anonymous = server.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(url)).StatusCode);

        var own = await victim.Http.GetAsync(url.Replace("?minutes=0", "", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task A_product_session_cannot_act_on_another_product_even_with_the_csrf_header()
    {
        var (victim, evil) = await TenantsAsync();
        using var session = await SessionClientAsync(evil.Http.DefaultRequestHeaders.Authorization!.Parameter!);
        using var trigger = new HttpRequestMessage(HttpMethod.Post, Routes.Job(victim.Product, "j") + "/trigger");
        trigger.Headers.Add("X-Metronome-Csrf", "1");
        Assert.Equal(HttpStatusCode.NotFound, (await session.SendAsync(trigger)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await session.GetAsync(Routes.Products)).StatusCode);
        Assert.DoesNotContain(await victim.RunsAsync("j"), r => r.Slot == 0); // no triggered run
        Assert.Equal(HttpStatusCode.OK, (await victim.Http.GetAsync(Routes.Job(victim.Product, "j"))).StatusCode);
    }

    private async Task<(Tenant Victim, Tenant Evil)> TenantsAsync()
    {
        var victim = await server.CreateTenantAsync("victim");
        var evil = await server.CreateTenantAsync("evil");
        await victim.CreateEventAsync("function", "f", new { language = "javascript", code = "function handler(){ return 1; }" });
        await victim.CreateJobAsync("j", "function", "f", executions: 1, intervals: 3_600_000);
        return (victim, evil);
    }

    /// <summary>A client holding the cookie session <paramref name="key"/> signs in to, and no bearer key.</summary>
    private async Task<HttpClient> SessionClientAsync(string key)
    {
        using var anonymous = server.Client(null);
        var signIn = await anonymous.PostAsJsonAsync(Routes.Session, new { key });
        await Tenant.EnsureAsync(signIn);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var client = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        return client;
    }
}
