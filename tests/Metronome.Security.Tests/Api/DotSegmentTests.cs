using System.Net;
using Metronome.Contracts;

namespace Metronome.Security.Tests.Api;

/// <summary>
/// Attack 8: <c>DELETE …/jobs/%2e%2e</c> (and <c>metronome jobs delete ..</c>) deleted the product, because dot segments
/// were resolved before routing. Now any dot segment in the raw request target is refused with 400.
/// </summary>
public sealed class DotSegmentTests(HostileServer server) : IClassFixture<HostileServer>
{
    [Theory]
    [InlineData("/jobs/..")]
    [InlineData("/jobs/%2e%2e")]
    [InlineData("/jobs/%2E%2E")]
    [InlineData("/jobs/.%2e")]
    [InlineData("/jobs/..?force=true")]
    [InlineData("/jobs/j/..")]
    [InlineData("/jobs/./..")]
    [InlineData("/jobs/.")]
    [InlineData("/jobs/%2e")]
    public async Task A_delete_with_a_dot_segment_answers_400_and_the_product_and_its_job_remain(string suffix)
    {
        var tenant = await server.CreateTenantAsync("dots");
        await tenant.CreateEventAsync("function", "f", new { language = "javascript", code = "function handler(){ return 1; }" });
        await tenant.CreateJobAsync("j", "function", "f", executions: 1, intervals: 60_000);
        var bearer = tenant.Http.DefaultRequestHeaders.Authorization!.Parameter;

        var answer = await RawHttp.SendAsync(server.BaseAddress, "DELETE", Routes.Product(tenant.Product) + suffix, bearer);

        Assert.Equal(400, answer.Status);
        Assert.Equal(HttpStatusCode.OK, (await tenant.Http.GetAsync(Routes.Product(tenant.Product))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await tenant.Http.GetAsync(Routes.Job(tenant.Product, "j"))).StatusCode);
    }

    [Fact]
    public async Task The_admin_key_is_refused_too_so_a_dot_segment_can_never_reach_a_product_route()
    {
        var tenant = await server.CreateTenantAsync("dots-admin");

        var answer = await RawHttp.SendAsync(server.BaseAddress, "DELETE", Routes.Jobs(tenant.Product) + "/%2e%2e", HostileServer.AdminKey);

        Assert.Equal(400, answer.Status);
        Assert.Equal(HttpStatusCode.OK, (await server.Admin.GetAsync(Routes.Product(tenant.Product))).StatusCode);
    }

    [Fact]
    public async Task Dots_inside_a_tag_are_not_dot_segments()
    {
        var tenant = await server.CreateTenantAsync("dots-ok");
        await tenant.CreateEventAsync("function", "f", new { language = "javascript", code = "function handler(){ return 1; }" });
        await tenant.CreateJobAsync("v1.2..3", "function", "f", executions: 1, intervals: 60_000);
        var bearer = tenant.Http.DefaultRequestHeaders.Authorization!.Parameter;

        Assert.Equal(200, (await RawHttp.SendAsync(server.BaseAddress, "GET", Routes.Job(tenant.Product, "v1.2..3"), bearer)).Status);
        Assert.Equal(204, (await RawHttp.SendAsync(server.BaseAddress, "DELETE", Routes.Job(tenant.Product, "v1.2..3"), bearer)).Status);
    }
}
