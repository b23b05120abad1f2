using System.Net.Http.Headers;
using System.Text;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

/// <summary>No input, however odd, may produce a 500; every error answer is problem+json.</summary>
public sealed class RobustnessTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private const string Product = "fuzz";
    private TestServer Server => fixture.Server;

    public async Task InitializeAsync()
    {
        if ((await Server.Admin.GetAsync(Routes.Product(Product))).IsSuccessStatusCode) return;
        await Server.CreateProductAsync(Product);
        var ev = await Server.Admin.CreateActionEventAsync(Product, fixture.Target.Url, "ev");
        await Server.Admin.CreateJobAsync(Product, TestApi.Job(ev.Tag!, "job"));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string, string, string?> OddRequests()
    {
        var deep = new string('[', 5000) + new string(']', 5000);
        var deepObject = "{\"input\":" + string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200) + "}";
        var data = new TheoryData<string, string, string?>
        {
            { "POST", "/api/products", "{" },
            { "POST", "/api/products", "{\"tag\":null,\"name\":null}" },
            { "POST", "/api/products", "{\"tag\":[],\"name\":{}}" },
            { "POST", "/api/products", "{\"tag\":\"\\u0000\",\"name\":\"\\ud800\"}" },
            { "POST", "/api/products", deep },
            { "POST", "/api/products", "\u00ff\u00fe garbage" },
            { "PATCH", "/api/products/fuzz", "{\"name\":\"\"}" },
            { "PATCH", "/api/products/fuzz", "{\"description\":" + "\"" + new string('d', 3000) + "\"}" },
            { "PATCH", "/api/products/fuzz", "[]" },
            { "GET", "/api/products/%00", null },
            { "GET", "/api/products/..%2F..%2Fetc", null },
            { "GET", "/api/products/fuzz/jobs?limit=-1", null },
            { "GET", "/api/products/fuzz/jobs?limit=99999999999999", null },
            { "GET", "/api/products/fuzz/jobs?cursor=%%%%", null },
            { "GET", "/api/products/fuzz/jobs?cursor=not-a-cursor", null },
            { "GET", "/api/products/fuzz/jobs?cursor=eyJ4IjoxfQ", null },
            { "GET", "/api/products/fuzz/jobs?status=", null },
            { "GET", "/api/products/fuzz/jobs/job/runs?cursor=zzz&limit=5", null },
            { "GET", "/api/products/fuzz/jobs/job/runs?limit=1001", null },
            { "GET", "/api/products/fuzz/runs/" + new string('r', 5000), null },
            { "GET", "/api/products/fuzz/events?type=", null },
            { "GET", "/api/products/fuzz/events/what/ev", null },
            { "DELETE", "/api/products/fuzz/events/what/ev", null },
            { "DELETE", "/api/products/fuzz/events/action/ev?force=", null },
            { "PATCH", "/api/products/fuzz/events/action/ev", "{\"definition\":{\"url\":5}}" },
            { "PATCH", "/api/products/fuzz/events/action/ev", "{\"definition\":null,\"name\":null}" },
            { "POST", "/api/products/fuzz/events", "{\"type\":\"action\",\"tag\":\"x\",\"name\":\"x\",\"definition\":{\"url\":\"http://[::1\"}}" },
            { "POST", "/api/products/fuzz/events", "{\"type\":\"function\",\"tag\":\"f\",\"name\":\"f\",\"definition\":{\"language\":\"cobol\"}}" },
            { "POST", "/api/products/fuzz/events", "{\"type\":\"function\",\"tag\":\"g\",\"name\":\"g\",\"definition\":{\"language\":\"javascript\",\"code\":\"function (\"}}" },
            { "POST", "/api/products/fuzz/jobs", "{}" },
            { "POST", "/api/products/fuzz/jobs", deepObject },
            { "POST", "/api/products/fuzz/jobs", "{\"start_at\":\"9999-12-31T23:59:59Z\",\"intervals\":31622400000,\"executions\":0,\"name\":\"n\",\"tag\":\"far\",\"event_type\":\"action\",\"event_tag\":\"ev\"}" },
            { "POST", "/api/products/fuzz/jobs", "{\"start_at\":\"0001-01-01T00:00:00Z\",\"intervals\":31622400000,\"executions\":0,\"name\":\"n\",\"tag\":\"old\",\"event_type\":\"action\",\"event_tag\":\"ev\"}" },
            { "POST", "/api/products/fuzz/jobs", "{\"name\":\"n\",\"tag\":\"t1\",\"event_type\":\"action\",\"event_tag\":\"ev\",\"executions\":1,\"intervals\":100,\"retries\":{\"max_attempts\":2147483648}}" },
            { "POST", "/api/products/fuzz/jobs", "{\"name\":\"n\",\"tag\":\"t2\",\"event_type\":\"action\",\"event_tag\":\"ev\",\"executions\":1,\"intervals\":100,\"timeout_ms\":9223372036854775807}" },
            { "POST", "/api/products/fuzz/jobs", "{\"status\":\"completed\",\"executions_done\":\"x\"}" },
            { "POST", "/api/products/fuzz/jobs", "{\"created_at\":\"yesterday\"}" },
            { "PATCH", "/api/products/fuzz/jobs/job", "{\"end_at\":\"2000-01-01T00:00:00Z\"}" },
            { "PATCH", "/api/products/fuzz/jobs/job", "{\"start_at\":\"now\",\"intervals\":100}" },
            { "PATCH", "/api/products/fuzz/jobs/job", "{\"event_type\":\"function\",\"event_tag\":\"nope\"}" },
            { "PATCH", "/api/products/fuzz/jobs/job", "{}" },
            { "PATCH", "/api/products/fuzz/jobs/missing", "{}" },
            { "POST", "/api/products/fuzz/jobs/job/trigger", "{\"unexpected\":true}" },
            { "POST", "/api/products/fuzz/jobs/missing/trigger", null },
            { "POST", "/api/products/fuzz/jobs/missing/resume", null },
            { "PUT", "/api/products/fuzz/secrets/" + new string('S', 300), "{\"value\":\"v\"}" },
            { "PUT", "/api/products/fuzz/secrets/OK", "{\"value\":5}" },
            { "PUT", "/api/products/missing/secrets/OK", "{\"value\":\"v\"}" },
            { "PUT", "/api/products/fuzz/jobs/job", "{}" },
            { "TRACE", "/api/products", null },
            { "OPTIONS", "/api/products/fuzz", null },
            { "DELETE", "/api/products", null },
            { "GET", "/api/nothing/here", null },
            { "GET", "/no-such-page", null },
            { "POST", "/healthz", "{}" },
            { "POST", "/api/products/fuzz/keys", "{\"not\":\"expected\"}" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(OddRequests))]
    public async Task Odd_request_never_answers_500(string method, string path, string? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await Server.Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        // Kestrel itself drops a few malformed requests (a NUL in the path) with an empty 400 before any middleware runs.
        if ((int)response.StatusCode >= 400 && text.Length > 0)
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Non_json_content_type_answers_415_problem()
    {
        var response = await Server.Admin.PostAsync(Routes.Products, new StringContent("tag=x&name=y", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await response.ExpectAsync(415);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_answers_413()
    {
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"name\":\"" + new string('x', 1_100_000) + "\"}")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, Routes.Products) { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await Server.Admin.SendAsync(request);
        await response.ExpectAsync(413);
    }
}
