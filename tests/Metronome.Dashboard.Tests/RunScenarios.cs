using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static Microsoft.Playwright.Assertions;

namespace Metronome.Dashboard.Tests;

[Collection(DashboardCollection.Name)]
public sealed class RunScenarios(DashboardServer server)
{
    private const string Succeeds = "function handler(input, context) { return { answer: 42 }; }";
    private const string Fails = "function handler(input, context) { throw new Error('card declined for slot ' + context.run.slot); }";

    /// <summary>A product with one job that succeeded once and one whose only slot failed both of its attempts.</summary>
    private async Task<(string Product, string Key)> ProductWithRunsAsync(string prefix)
    {
        var (product, key) = await server.CreateProductAsync(prefix);
        await server.CreateFunctionEventAsync(product, "ok", Succeeds);
        await server.CreateFunctionEventAsync(product, "broken", Fails);
        await server.CreateJobAsync(product, new { name = "Charge cards", tag = "charge", event_type = "function", event_tag = "broken",
            executions = 1, intervals = 60_000, start_at = "now", retries = new { max_attempts = 2, backoff_ms = 100, max_backoff_ms = 100 } });
        await server.CreateJobAsync(product, new { name = "Send digest", tag = "digest", event_type = "function", event_tag = "ok",
            executions = 1, intervals = 60_000, start_at = "now" });
        await server.WaitForAsync($"/api/products/{product}/jobs/charge/runs",
            runs => Items(runs).Any(r => Status(r) == "failed" && r["attempt"]!.GetValue<int>() == 2), "the second failed attempt of charge");
        await server.WaitForAsync($"/api/products/{product}/jobs/digest/runs", runs => Items(runs).Any(r => Status(r) == "succeeded"), "digest's run");
        return (product, key);
    }

    [Fact]
    public async Task Failures_view_lists_the_failing_jobs_run_and_not_the_successful_one()
    {
        var (product, key) = await ProductWithRunsAsync("failures");
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        await browser.SignInAsync(key);
        await page.Locator("nav [data-nav=Failures]").ClickAsync();
        var rows = page.Locator("#failures tbody tr");
        await Expect(rows.First).ToContainTextAsync("charge");
        await Expect(rows.First).ToContainTextAsync("failed");
        await Expect(rows.First).ToContainTextAsync("card declined for slot 1");
        await Expect(page.Locator("#failures")).Not.ToContainTextAsync("digest");
        await browser.AssertNoHorizontalOverflowAsync();
        await browser.ScreenshotAsync("failures");
        browser.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Run_detail_shows_output_error_and_every_attempt_and_re_runs_the_job()
    {
        var (product, key) = await ProductWithRunsAsync("rundetail");
        var failed = Items(await server.GetAsync($"/api/products/{product}/jobs/charge/runs")).First(r => r["attempt"]!.GetValue<int>() == 2);
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        await browser.SignInAsync(key, $"#/p/{product}/failures");
        await page.Locator($"#failures tr[data-run='{failed["id"]}'] a", new() { HasText = "1" }).ClickAsync();

        await Expect(page.Locator("#run-status")).ToHaveTextAsync("failed");
        await Expect(page.Locator("#run-error")).ToContainTextAsync("card declined for slot 1");
        // Every attempt of the slot is its own row, in order: attempt 1 (kept by the run as an earlier attempt) with its
        // error kind and message, then attempt 2, the run record itself.
        var wire = await server.GetAsync($"/api/products/{product}/runs/{failed["id"]}");
        var first = wire["attempts"]!.AsArray().Single()!;
        Assert.Equal(1, first["attempt"]!.GetValue<int>());
        var firstKind = first["error"]!["kind"]!.GetValue<string>();
        var attempts = page.Locator("#run-attempts tbody tr");
        await Expect(attempts).ToHaveCountAsync(2);
        await Expect(attempts.Nth(0).Locator("td").Nth(1)).ToHaveTextAsync("1");
        await Expect(attempts.Nth(0).Locator("td").Nth(2)).ToHaveTextAsync("failed");
        await Expect(attempts.Nth(0)).ToContainTextAsync($"{firstKind}: card declined for slot 1");
        await Expect(attempts.Nth(1).Locator("td").Nth(1)).ToHaveTextAsync("2");
        await Expect(attempts.Nth(1)).ToContainTextAsync($"{wire["error"]!["kind"]!.GetValue<string>()}: card declined for slot 1");
        await Expect(page.Locator("#run-attempts p.muted")).ToHaveCountAsync(0); // no "the record above holds the last one"
        await browser.AssertNoHorizontalOverflowAsync();
        await browser.ScreenshotAsync("run-detail");

        var before = Items(await server.GetAsync($"/api/products/{product}/jobs/charge/runs")).Count;
        await page.Locator("#rerun").ClickAsync();
        await Expect(page).Not.ToHaveURLAsync(new Regex(Regex.Escape($"/runs/{failed["id"]}") + "$"));
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("failed");
        Assert.True(Items(await server.GetAsync($"/api/products/{product}/jobs/charge/runs")).Count > before);

        var ok = Items(await server.GetAsync($"/api/products/{product}/jobs/digest/runs")).First(r => Status(r) == "succeeded");
        await browser.GoAsync($"#/p/{product}/runs/{ok["id"]}");
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("succeeded");
        await Expect(page.Locator("#run-output")).ToContainTextAsync("\"answer\": 42");
        await Expect(page.Locator("#run-error")).ToHaveCountAsync(0);
        browser.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Overview_counts_jobs_and_runs_and_charts_the_last_hour()
    {
        var (product, key) = await ProductWithRunsAsync("overview");
        var stats = await server.GetAsync($"/api/products/{product}/stats?minutes=60");
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        await browser.SignInAsync(key);
        await Expect(page.Locator("[data-count=status-completed] .n")).ToHaveTextAsync(stats["jobs"]!["completed"]!.ToString());
        await Expect(page.Locator("[data-count=run-failed] .n")).ToHaveTextAsync(stats["runs"]!["failed"]!.ToString());
        Assert.True(stats["runs"]!["failed"]!.GetValue<long>() >= 1);

        var fires = page.Locator("svg[data-series=fires]");
        await Expect(fires).ToHaveAttributeAsync("data-total", Sum(stats, "fires").ToString(CultureInfo.InvariantCulture));
        Assert.True(Sum(stats, "fires") >= 2, "both jobs' runs started in the last hour");
        Assert.True(await fires.Locator("rect.bar").CountAsync() >= 1);
        var failures = page.Locator("svg[data-series=failures]");
        await Expect(failures).ToHaveAttributeAsync("data-total", Sum(stats, "failures").ToString(CultureInfo.InvariantCulture));
        Assert.True(await failures.Locator("rect.bar").CountAsync() >= 1);
        Assert.True(await page.Locator("svg[data-series=lateness] circle").CountAsync() >= 1);
        await browser.AssertNoHorizontalOverflowAsync();
        await browser.ScreenshotAsync("overview");
        browser.AssertNoScriptErrors();
    }

    private static List<JsonNode> Items(JsonNode page) => page["items"]!.AsArray().Select(n => n!).ToList();
    private static string Status(JsonNode run) => run["status"]!.GetValue<string>();
    private static long Sum(JsonNode stats, string field) => stats["minutes"]!.AsArray().Sum(m => m![field]!.GetValue<long>());
}
