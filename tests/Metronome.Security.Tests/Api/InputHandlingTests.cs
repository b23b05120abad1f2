using System.Net;
using System.Text;
using Metronome.Contracts;

namespace Metronome.Security.Tests.Api;

/// <summary>
/// Attack 15: a body without Content-Type was accepted, JSON keys matched case-insensitively, and <c>"ACTION "</c> and
/// NUL bytes in names were accepted. Each is refused now.
/// </summary>
public sealed class InputHandlingTests(HostileServer server) : IClassFixture<HostileServer>
{
    private const string ValidJob = """{"name":"j","tag":"j","event_type":"function","event_tag":"f","executions":1,"intervals":60000}""";

    private async Task<Tenant> TenantAsync()
    {
        var tenant = await server.CreateTenantAsync("input");
        await tenant.CreateEventAsync("function", "f", new { language = "javascript", code = "function handler(){ return 1; }" });
        return tenant;
    }

    private static async Task AssertNoJobsAsync(Tenant tenant) =>
        Assert.Empty((await Tenant.ReadAsync<Page<ProductJob>>(await tenant.Http.GetAsync(Routes.Jobs(tenant.Product)))).Items);

    [Fact]
    public async Task A_body_without_content_type_answers_415_and_stores_nothing()
    {
        var tenant = await TenantAsync();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(ValidJob));
        Assert.Null(content.Headers.ContentType);

        var response = await tenant.Http.PostAsync(Routes.Jobs(tenant.Product), content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await AssertNoJobsAsync(tenant);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/json; charset=utf-16")]
    public async Task A_body_declared_as_something_else_than_utf8_json_answers_415(string contentType)
    {
        var tenant = await TenantAsync();
        var bearer = tenant.Http.DefaultRequestHeaders.Authorization!.Parameter;

        var answer = await RawHttp.SendAsync(server.BaseAddress, "POST", Routes.Jobs(tenant.Product), bearer, ValidJob, contentType);

        Assert.Equal(415, answer.Status);
        await AssertNoJobsAsync(tenant);
    }

    [Fact]
    public async Task Json_field_names_match_exactly()
    {
        var tenant = await TenantAsync();

        var response = await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), ValidJob.Replace("\"name\"", "\"Name\"", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Name", (await Tenant.ProblemErrorsAsync(response)).Select(kv => kv.Key));
        await AssertNoJobsAsync(tenant);
        var upper = await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), ValidJob.Replace("\"event_tag\"", "\"EVENT_TAG\"", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, upper.StatusCode);
    }

    [Theory]
    [InlineData("ACTION ")]
    [InlineData(" FUNCTION")]
    [InlineData("FUNCTION\n")]
    [InlineData("FUNCTION\\u0000")]
    [InlineData("functıon")]
    public async Task An_event_type_that_is_not_exactly_an_enum_name_answers_400(string eventType)
    {
        var tenant = await TenantAsync();

        var response = await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), ValidJob.Replace("\"function\"", $"\"{eventType.Replace("\n", "\\n", StringComparison.Ordinal)}\"", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("event_type", (await Tenant.ProblemErrorsAsync(response)).Select(kv => kv.Key));
        await AssertNoJobsAsync(tenant);
    }

    [Fact]
    public async Task The_seed_enum_names_are_accepted_in_any_case()
    {
        var tenant = await TenantAsync();

        var job = await Tenant.ReadAsync<ProductJob>(await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), ValidJob.Replace("\"function\"", "\"FUNCTION\"", StringComparison.Ordinal)));

        Assert.Equal("function", job.EventType);
    }

    [Theory]
    [InlineData("a\\u0000b")]
    [InlineData("line\\r\\nforged: yes")]
    [InlineData("esc\\u001b[31m")]
    [InlineData(" padded")]
    [InlineData("padded ")]
    [InlineData("\\u00a0nbsp")]
    public async Task A_name_with_control_characters_or_outer_whitespace_answers_400(string name)
    {
        var tenant = await TenantAsync();

        var job = await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), ValidJob.Replace("\"name\":\"j\"", $"\"name\":\"{name}\"", StringComparison.Ordinal));
        var ev = await tenant.PostJsonAsync(Routes.Events(tenant.Product),
            $$$"""{"type":"function","tag":"g","name":"{{{name}}}","definition":{"language":"javascript","code":"function handler(){ return 1; }"}}""");
        var product = await server.Admin.PostAsync(Routes.Products,
            new StringContent($$"""{"tag":"named-{{Guid.NewGuid():N}}","name":"{{name}}"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, job.StatusCode);
        Assert.Contains("name", (await Tenant.ProblemErrorsAsync(job)).Select(kv => kv.Key));
        Assert.Equal(HttpStatusCode.BadRequest, ev.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, product.StatusCode);
        await AssertNoJobsAsync(tenant);
    }

    [Fact]
    public async Task A_tag_with_a_trailing_newline_answers_400()
    {
        var tenant = await TenantAsync();

        var response = await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), ValidJob.Replace("\"tag\":\"j\"", "\"tag\":\"j\\n\"", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertNoJobsAsync(tenant);
    }
}
