using System.Text.Json;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

public sealed class OperationsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Healthz_answers_healthy_without_a_key()
    {
        var body = await (await Server.Anonymous.GetAsync("/healthz")).ExpectAsync(200);
        Assert.Equal("healthy", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Metrics_answer_prometheus_text_without_a_key()
    {
        var product = await Server.CreateProductAsync();
        var ev = await Server.Admin.CreateActionEventAsync(product.Tag!, fixture.Target.Url);
        await Server.Admin.CreateJobAsync(product.Tag!, TestApi.Job(ev.Tag!));

        var response = await Server.Anonymous.GetAsync("/metrics");
        var text = await response.ExpectAsync(200);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE metronome_jobs_scheduled gauge", text);
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text); // ASP.NET Core's instruments
    }

    [Fact]
    public async Task Openapi_document_is_served_without_a_key()
    {
        var body = await (await Server.Anonymous.GetAsync("/openapi/v1.json")).ExpectAsync(200);
        using var doc = JsonDocument.Parse(body);
        var paths = doc.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/products/{product}/jobs", out _));
        Assert.True(paths.TryGetProperty("/api/products/{product}/jobs/{tag}/trigger", out _));
    }

    [Fact]
    public async Task Dashboard_page_is_served_at_the_root()
    {
        var response = await Server.Anonymous.GetAsync("/");
        var html = await response.ExpectAsync(200);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Metronome", html);
        Assert.Contains("src=\"/dashboard/app.js\"", html);
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("sessionStorage", html);

        // The views are ES modules served by the server itself (no CDN, no build step), allowed by script-src 'self'.
        var module = await Server.Anonymous.GetAsync("/dashboard/view-jobs.js");
        var code = await module.ExpectAsync(200);
        Assert.Equal("text/javascript", module.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/pause", code);
        Assert.Contains("script-src 'self'", string.Join(" ", module.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal(404, (int)(await Server.Anonymous.GetAsync("/dashboard/missing.js")).StatusCode);
    }

    [Fact]
    public async Task Responses_use_snake_case_and_omit_nulls()
    {
        var product = await Server.CreateProductAsync();
        var ev = await Server.Admin.CreateActionEventAsync(product.Tag!, fixture.Target.Url);
        var job = await Server.Admin.CreateJobAsync(product.Tag!, TestApi.Job(ev.Tag!));
        var text = await (await Server.Admin.GetAsync(Routes.Job(product.Tag!, job.Tag!))).Content.ReadAsStringAsync();
        Assert.Contains("\"event_tag\"", text);
        Assert.Contains("\"executions_done\"", text);
        Assert.DoesNotContain("\"last_run_at\"", text);
    }
}
