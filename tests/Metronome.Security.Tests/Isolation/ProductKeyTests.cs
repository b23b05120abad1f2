using System.Net;
using Metronome.Contracts;

namespace Metronome.Security.Tests.Isolation;

/// <summary>A product key reaches its own product only.</summary>
public sealed class ProductKeyTests(HostileServer server) : IClassFixture<HostileServer>
{
    [Fact]
    public async Task A_product_key_sees_another_products_resources_as_missing_and_admin_calls_as_forbidden()
    {
        var victim = await server.CreateTenantAsync("victim");
        var evil = await server.CreateTenantAsync("evil");
        await victim.CreateEventAsync("function", "f", new { language = "javascript", code = "function handler(){ return 1; }" });
        await victim.CreateJobAsync("j", "function", "f", executions: 1, intervals: 60_000);

        Assert.Equal(HttpStatusCode.NotFound, (await evil.Http.GetAsync(Routes.Job(victim.Product, "j"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await evil.Http.GetAsync(Routes.Events(victim.Product))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await evil.Http.DeleteAsync(Routes.Job(victim.Product, "j"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await evil.Http.GetAsync(Routes.Products)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await victim.Http.GetAsync(Routes.Job(victim.Product, "j"))).StatusCode);
    }
}
