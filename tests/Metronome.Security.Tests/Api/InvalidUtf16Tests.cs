using System.Net;
using System.Text;
using Metronome.Contracts;

namespace Metronome.Security.Tests.Api;

/// <summary>
/// Attack 7: a lone surrogate (<c>"\ud800"</c>) in job input or an event definition once answered 500, stored the job,
/// and broke every later GET of it and of the job list. Now every string of every body is checked first: 400, nothing stored.
/// </summary>
public sealed class InvalidUtf16Tests(HostileServer server) : IClassFixture<HostileServer>
{
    private const string LoneSurrogate = "\\ud800";

    private static string Job(string tag, string input) =>
        $$"""{"name":"{{tag}}","tag":"{{tag}}","event_type":"function","event_tag":"f","executions":1,"intervals":60000,"input":{{input}}}""";

    private async Task<Tenant> TenantWithEventAsync()
    {
        var tenant = await server.CreateTenantAsync("utf16");
        await tenant.CreateEventAsync("function", "f", new { language = "javascript", code = "function handler(){ return 1; }" });
        return tenant;
    }

    [Theory]
    [InlineData($$"""{"text":"{{LoneSurrogate}}"}""")]
    [InlineData($$$"""{"deep":{"a":[1,{"b":"x{{{LoneSurrogate}}}y"}]}}""")]
    [InlineData($$"""{"{{LoneSurrogate}}":"key"}""")]
    [InlineData("""{"low":"\udc00"}""")]
    [InlineData("""{"reversed":"\udc00\ud800"}""")]
    public async Task A_lone_surrogate_in_job_input_answers_400_and_stores_nothing(string input)
    {
        var tenant = await TenantWithEventAsync();

        var response = await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), Job("j", input));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Http.GetAsync(Routes.Job(tenant.Product, "j"))).StatusCode);
        var list = await tenant.Http.GetAsync(Routes.Jobs(tenant.Product));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Empty((await Tenant.ReadAsync<Page<ProductJob>>(list)).Items);
    }

    [Fact]
    public async Task A_valid_surrogate_pair_is_kept()
    {
        var tenant = await TenantWithEventAsync();

        var created = await Tenant.ReadAsync<ProductJob>(await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), Job("j", """{"emoji":"\ud83d\ude00"}""")));

        Assert.Equal("😀", created.Input!.Value.GetProperty("emoji").GetString());
        Assert.Equal(HttpStatusCode.OK, (await tenant.Http.GetAsync(Routes.Job(tenant.Product, "j"))).StatusCode);
    }

    [Fact]
    public async Task A_lone_surrogate_in_an_event_definition_answers_400_and_stores_nothing()
    {
        var tenant = await server.CreateTenantAsync("utf16-def");

        var response = await tenant.PostJsonAsync(Routes.Events(tenant.Product),
            """{"type":"action","tag":"a","name":"a","definition":{"method":"POST","url":"http://127.0.0.1:9/x","body":{"t":""" + "\"" + LoneSurrogate + "\"}}}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("definition.body.t", (await Tenant.ProblemErrorsAsync(response)).Select(kv => kv.Key));
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Http.GetAsync(Routes.Event(tenant.Product, "action", "a"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await tenant.Http.GetAsync(Routes.Events(tenant.Product))).StatusCode);
    }

    [Fact]
    public async Task Every_body_taking_entry_point_refuses_a_lone_surrogate()
    {
        var tenant = await TenantWithEventAsync();
        await Tenant.EnsureAsync(await tenant.PostJsonAsync(Routes.Jobs(tenant.Product), Job("ok", "{}")));
        var p = tenant.Product;

        async Task<HttpStatusCode> Send(HttpClient http, HttpMethod method, string path, string json, string type = "application/json") =>
            (await http.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, type) })).StatusCode;

        Assert.Equal(HttpStatusCode.BadRequest, await Send(tenant.Http, HttpMethod.Patch, Routes.Job(p, "ok"), $$$"""{"input":{"x":"{{{LoneSurrogate}}}"}}""", "application/merge-patch+json"));
        Assert.Equal(HttpStatusCode.BadRequest, await Send(tenant.Http, HttpMethod.Patch, Routes.Job(p, "ok"), $$"""{"name":"n{{LoneSurrogate}}"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, await Send(tenant.Http, HttpMethod.Post, Routes.Jobs(p) + ":bulk", $$"""{"items":[{{Job("b", $$"""{"x":"{{LoneSurrogate}}"}""")}}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, await Send(tenant.Http, HttpMethod.Patch, Routes.Event(p, "function", "f"), $$"""{"name":"{{LoneSurrogate}}"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, await Send(tenant.Http, HttpMethod.Put, Routes.Secret(p, "TOKEN"), $$"""{"value":"{{LoneSurrogate}}"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, await Send(server.Admin, HttpMethod.Post, Routes.Products, $$"""{"tag":"utf16-p","name":"{{LoneSurrogate}}"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, await Send(server.Admin, HttpMethod.Patch, Routes.Product(p), $$"""{"description":"{{LoneSurrogate}}"}"""));

        Assert.Equal("ok", (await Tenant.ReadAsync<ProductJob>(await tenant.Http.GetAsync(Routes.Job(p, "ok")))).Name);
        Assert.Single((await Tenant.ReadAsync<Page<ProductJob>>(await tenant.Http.GetAsync(Routes.Jobs(p)))).Items);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Admin.GetAsync(Routes.Product("utf16-p"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await tenant.Http.GetAsync(Routes.Product(p))).StatusCode);
    }

    [Fact]
    public async Task Bytes_that_are_not_utf8_answer_400()
    {
        var tenant = await TenantWithEventAsync();
        var bytes = Encoding.UTF8.GetBytes(Job("j", """{"x":"AB"}"""));
        int at = Array.IndexOf(bytes, (byte)'A');
        bytes[at] = 0xED; bytes[at + 1] = 0xA0; // the UTF-8 encoding of a surrogate, which UTF-8 forbids

        var content = new ByteArrayContent(bytes) { Headers = { ContentType = new("application/json") } };
        var response = await tenant.Http.PostAsync(Routes.Jobs(tenant.Product), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Http.GetAsync(Routes.Job(tenant.Product, "j"))).StatusCode);
    }
}
