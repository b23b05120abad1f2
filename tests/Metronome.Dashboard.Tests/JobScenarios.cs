using System.Text.RegularExpressions;
using Metronome.Testing.Peers;
using static Microsoft.Playwright.Assertions;

namespace Metronome.Dashboard.Tests;

[Collection(DashboardCollection.Name)]
public sealed class JobScenarios(DashboardServer server)
{
    private const string Succeeds = "function handler(input, context) { return { answer: 42, who: input.who ?? null }; }";

    [Fact]
    public async Task Create_a_job_with_every_field_through_the_form()
    {
        var (product, key) = await server.CreateProductAsync("create");
        await server.CreateFunctionEventAsync(product, "ok", Succeeds);
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        await browser.SignInAsync(key);
        await page.Locator("nav [data-nav=Jobs]").ClickAsync();
        await page.Locator("#new-job").ClickAsync();

        await page.Locator("#f-name").FillAsync("Nightly report");
        await page.Locator("#f-tag").FillAsync("nightly-report");
        await page.Locator("#f-event_tag").SelectOptionAsync("function/ok");
        await page.Locator("#f-executions").FillAsync("0");
        await page.Locator("#f-intervals").FillAsync("90000");
        await Expect(page.Locator(".field[data-field=intervals] .hint")).ToContainTextAsync("1 min 30 s");
        await page.Locator("#f-overlap").SelectOptionAsync("queue");
        await page.Locator("#f-misfire").SelectOptionAsync("catch_up");
        await page.Locator("#f-retries-max_attempts").FillAsync("3");
        await page.Locator("#f-retries-backoff_ms").FillAsync("500");
        await page.Locator("#f-timeout_ms").FillAsync("5000");
        await page.Locator("#f-input").FillAsync("{\"who\": \"ops\"}");
        await page.Locator("#save-job").ClickAsync();

        await Expect(page.Locator("#job-facts")).ToContainTextAsync("1 min 30 s");
        var job = await server.GetAsync($"/api/products/{product}/jobs/nightly-report");
        Assert.Equal("Nightly report", job["name"]!.GetValue<string>());
        Assert.Equal("function", job["event_type"]!.GetValue<string>());
        Assert.Equal("ok", job["event_tag"]!.GetValue<string>());
        Assert.Equal(90000, job["intervals"]!.GetValue<long>());
        Assert.Equal(0, job["executions"]!.GetValue<long>());
        Assert.Equal("queue", job["overlap"]!.GetValue<string>());
        Assert.Equal("catch_up", job["misfire"]!.GetValue<string>());
        Assert.Equal(3, job["retries"]!["max_attempts"]!.GetValue<int>());
        Assert.Equal(500, job["retries"]!["backoff_ms"]!.GetValue<long>());
        Assert.Equal(5000, job["timeout_ms"]!.GetValue<long>());
        Assert.Equal("ops", job["input"]!["who"]!.GetValue<string>());

        await page.Locator("nav [data-nav=Jobs]").ClickAsync();
        var row = page.Locator("#jobs tr[data-job='nightly-report']");
        await Expect(row.Locator(".interval")).ToHaveTextAsync("1 min 30 s");
        await Expect(row.Locator(".next-run")).ToHaveTextAsync(new Regex(@"^in \d+ (s|min)$"));
        browser.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Edit_shows_the_APIs_field_error_next_to_the_field_then_saves_the_fix()
    {
        var (product, key) = await server.CreateProductAsync("edit");
        await server.CreateFunctionEventAsync(product, "ok", Succeeds);
        await server.CreateJobAsync(product, new { name = "Sync", tag = "sync", event_type = "function", event_tag = "ok", executions = 0, intervals = 90000 });
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        await browser.SignInAsync(key, $"#/p/{product}/jobs/sync/edit");

        await page.Locator("#f-name").FillAsync("Sync orders");
        await page.Locator("#f-intervals").FillAsync("5");
        await page.Locator("#save-job").ClickAsync();
        var error = page.Locator(".field[data-field=intervals] .field-error");
        await Expect(error).ToContainTextAsync("intervals must be between");
        await Expect(page.Locator(".field[data-field=intervals]")).ToHaveClassAsync(new Regex("invalid"));
        await Expect(page.Locator(".field[data-field=name] .field-error")).ToBeEmptyAsync();
        await browser.ScreenshotAsync("edit-error");
        var unchanged = await server.GetAsync($"/api/products/{product}/jobs/sync");
        Assert.Equal(90000, unchanged["intervals"]!.GetValue<long>());
        Assert.Equal("Sync", unchanged["name"]!.GetValue<string>());

        await page.Locator("#f-intervals").FillAsync("60000");
        await page.Locator("#save-job").ClickAsync();
        await Expect(page.Locator("#job-facts")).ToContainTextAsync("1 min (60000 ms)");
        var saved = await server.GetAsync($"/api/products/{product}/jobs/sync");
        Assert.Equal(60000, saved["intervals"]!.GetValue<long>());
        Assert.Equal("Sync orders", saved["name"]!.GetValue<string>());
        browser.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Pause_trigger_and_resume_from_the_jobs_list()
    {
        var (product, key) = await server.CreateProductAsync("actions");
        await server.CreateFunctionEventAsync(product, "ok", Succeeds);
        await server.CreateJobAsync(product, new { name = "Hourly", tag = "hourly", event_type = "function", event_tag = "ok", executions = 0, intervals = 3_600_000 });
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        await browser.SignInAsync(key, $"#/p/{product}/jobs");
        var row = page.Locator("#jobs tr[data-job='hourly']");

        await row.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(row.Locator(".status-paused")).ToHaveTextAsync("paused");
        Assert.Equal("paused", (await server.GetAsync($"/api/products/{product}/jobs/hourly"))["status"]!.GetValue<string>());

        await row.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Trigger" }).ClickAsync();
        await Expect(page.Locator("#flash")).ToContainTextAsync("Trigger: hourly");
        await server.WaitForAsync($"/api/products/{product}/jobs/hourly/runs",
            runs => runs["items"]!.AsArray().Any(r => r!["status"]!.GetValue<string>() == "succeeded"), "the triggered run");
        await row.Locator("a", new() { HasText = "hourly" }).ClickAsync();
        await Expect(page.Locator("#job-runs tbody tr").First).ToContainTextAsync("succeeded");

        await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Expect(page.Locator("#job-status-value")).ToHaveTextAsync(new Regex("^active"));
        Assert.Equal("active", (await server.GetAsync($"/api/products/{product}/jobs/hourly"))["status"]!.GetValue<string>());
        browser.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Jobs_list_searches_filters_and_pages_without_overflow_at_1280_px()
    {
        var (product, key) = await server.CreateProductAsync("list");
        await server.CreateFunctionEventAsync(product, "ok", Succeeds);
        for (var i = 0; i < 28; i++)
        {
            var tag = $"{(i % 2 == 0 ? "report" : "sync")}-{i:D2}-with-a-rather-long-tag-for-the-column";
            await server.CreateJobAsync(product, new
            {
                name = $"A long human name for job number {i} that an operator typed",
                tag, event_type = "function", event_tag = "ok", executions = 1000, intervals = 60_000 + i * 1000,
            });
        }
        await server.SendAsync(HttpMethod.Post, $"/api/products/{product}/jobs/sync-01-with-a-rather-long-tag-for-the-column/pause");
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        await browser.SignInAsync(key, $"#/p/{product}/jobs");
        var rows = page.Locator("#jobs tbody tr");
        await Expect(rows).ToHaveCountAsync(25);
        await browser.AssertNoHorizontalOverflowAsync();
        await browser.ScreenshotAsync("jobs", fullPage: false);

        await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Next page" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(3);
        await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "First page" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(25);

        await page.Locator("#job-search").FillAsync("REPORT-0");
        await Expect(rows).ToHaveCountAsync(5);   // report-00, 02, 04, 06, 08
        await page.Locator("#job-search").FillAsync("");
        await page.Locator("#job-status").SelectOptionAsync("paused");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToHaveAttributeAsync("data-job", "sync-01-with-a-rather-long-tag-for-the-column");
        await browser.AssertNoHorizontalOverflowAsync();
        browser.AssertNoScriptErrors();
    }

    [Fact]
    public async Task A_run_in_flight_shows_as_running_in_the_list()
    {
        // A target that accepts the connection and never answers keeps the run in flight until its timeout.
        await using var silent = new SilentServer();
        var (product, key) = await server.CreateProductAsync("running");
        await server.SendAsync(HttpMethod.Post, $"/api/products/{product}/events", new
        {
            type = "action", tag = "hang", name = "Hang",
            definition = new { method = "GET", url = $"http://127.0.0.1:{silent.Port}/", timeout_ms = 60_000 },
        });
        await server.CreateJobAsync(product, new { name = "Slow", tag = "slow", event_type = "action", event_tag = "hang",
            executions = 0, intervals = 3_600_000, timeout_ms = 60_000 });
        await server.CreateJobAsync(product, new { name = "Idle", tag = "idle", event_type = "action", event_tag = "hang",
            executions = 0, intervals = 3_600_000 });
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        await browser.SignInAsync(key, $"#/p/{product}/jobs");
        await Expect(page.Locator("#jobs tr[data-job='slow']")).ToBeVisibleAsync();
        await Expect(page.Locator("#jobs tr[data-job='slow'] .running")).ToHaveCountAsync(0);

        await server.SendAsync(HttpMethod.Post, $"/api/products/{product}/jobs/slow/trigger");
        await Expect(page.Locator("#jobs tr[data-job='slow'] .running")).ToHaveTextAsync("running");
        await Expect(page.Locator("#jobs tr[data-job='idle'] .running")).ToHaveCountAsync(0);
        browser.AssertNoScriptErrors();
    }
}
