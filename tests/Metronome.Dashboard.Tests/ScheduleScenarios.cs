using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Metronome.Dashboard.Tests;

/// <summary>Cron schedules in the job form (the API's five-run preview, its field errors) and on the job's page.</summary>
[Collection(DashboardCollection.Name)]
public sealed class ScheduleScenarios(DashboardServer server)
{
    private const string Succeeds = "function handler(input, context) { return { ok: true }; }";
    private const string Expression = "30 8 * * 1-5";
    private const string Zone = "Europe/Berlin";
    /// <summary>The browser's own zone in these scenarios: the preview's second column is read in it.</summary>
    private const string BrowserZone = "America/New_York";

    [Fact]
    public async Task Cron_job_form_previews_the_next_five_runs_shows_the_APIs_field_errors_and_creates_the_job()
    {
        var (product, key) = await server.CreateProductAsync("cron");
        await server.CreateFunctionEventAsync(product, "ok", Succeeds);
        await server.CreateFunctionEventAsync(product, "alert", Succeeds);
        await using var browser = await server.NewPageAsync(BrowserZone);
        var page = browser.Page;
        await browser.SignInAsync(key, $"#/p/{product}/jobs/new");

        await page.Locator("#f-name").FillAsync("Morning digest");
        await page.Locator("#f-tag").FillAsync("digest");
        await page.Locator("#f-event_tag").SelectOptionAsync("function/ok");
        await page.Locator("#f-schedule").SelectOptionAsync("cron");
        await Expect(page.Locator("#f-intervals")).ToBeHiddenAsync();
        await page.Locator("#f-cron").FillAsync(Expression);
        await page.Locator("#f-time_zone").FillAsync(Zone);

        // The rows are the API's own answer for the same schedule, in the job's zone and in the browser's.
        var rows = page.Locator("#preview-runs tbody tr");
        await Expect(rows).ToHaveCountAsync(5);
        await Expect(page.Locator("#preview-runs thead")).ToContainTextAsync($"In {Zone}");
        await Expect(page.Locator("#preview-runs thead")).ToContainTextAsync(BrowserZone);
        var expected = (await PreviewAsync(product, new { cron = Expression, time_zone = Zone }))["next_runs"]!.AsArray();
        Assert.Equal(5, expected.Count);
        for (var i = 0; i < 5; i++)
        {
            var at = DateTimeOffset.Parse(expected[i]!.GetValue<string>(), CultureInfo.InvariantCulture);
            Assert.Equal("08:30", In(at, Zone)[11..16]);
            await Expect(rows.Nth(i).Locator("td").Nth(1)).ToContainTextAsync(In(at, Zone));
            await Expect(rows.Nth(i).Locator("td").Nth(2)).ToContainTextAsync(In(at, BrowserZone));
        }
        await browser.AssertNoHorizontalOverflowAsync();
        await browser.ScreenshotAsync("cron-form");

        // A bad expression: the API's own message for the cron field shows under that field, and the preview is gone.
        var refusal = await RefusalAsync(product, new { cron = "61 8 * * *", time_zone = Zone });
        var message = string.Join(" ", refusal["errors"]!["cron"]!.AsArray().Select(e => e!.GetValue<string>()));
        await page.Locator("#f-cron").FillAsync("61 8 * * *");
        await Expect(page.Locator(".field[data-field=cron] .field-error")).ToHaveTextAsync(message);
        await Expect(page.Locator(".field[data-field=cron]")).ToHaveClassAsync(new Regex("invalid"));
        await Expect(rows).ToHaveCountAsync(0);
        await browser.ScreenshotAsync("cron-error");

        // An unknown zone is the time zone field's error.
        await page.Locator("#f-cron").FillAsync(Expression);
        await page.Locator("#f-time_zone").FillAsync("Mars/Olympus_Mons");
        await Expect(page.Locator(".field[data-field=time_zone] .field-error")).Not.ToBeEmptyAsync();
        await Expect(page.Locator(".field[data-field=cron] .field-error")).ToBeEmptyAsync();
        await page.Locator("#f-time_zone").FillAsync(Zone);
        await Expect(rows).ToHaveCountAsync(5);
        await Expect(page.Locator(".field[data-field=time_zone] .field-error")).ToBeEmptyAsync();

        await page.Locator("#f-jitter_ms").FillAsync("1500");
        await page.Locator("#f-catch_up_limit").FillAsync("10");
        await page.Locator("#f-on_failure").SelectOptionAsync("function/alert");
        await page.Locator("#f-pause_after_failures").FillAsync("3");
        await page.Locator("#save-job").ClickAsync();
        await Expect(page.Locator("#job-cron")).ToContainTextAsync($"{Expression} in {Zone}");
        var job = await server.GetAsync($"/api/products/{product}/jobs/digest");
        Assert.Equal(Expression, job["cron"]!.GetValue<string>());
        Assert.Equal(Zone, job["time_zone"]!.GetValue<string>());
        Assert.Equal(1500, job["jitter_ms"]!.GetValue<long>());
        Assert.Equal(10, job["catch_up_limit"]!.GetValue<int>());
        Assert.Equal("alert", job["on_failure"]!["event_tag"]!.GetValue<string>());
        Assert.Equal(3, job["pause_after_failures"]!.GetValue<int>());
        await Expect(page.Locator("#job-facts")).ToContainTextAsync("function / alert");
        var nextRuns = job["next_runs"]!.AsArray();
        Assert.Equal(5, nextRuns.Count);
        var detailRows = page.Locator("#job-next-runs tbody tr");
        await Expect(detailRows).ToHaveCountAsync(5);
        for (var i = 0; i < 5; i++)
        {
            var at = DateTimeOffset.Parse(nextRuns[i]!.GetValue<string>(), CultureInfo.InvariantCulture);
            await Expect(detailRows.Nth(i)).ToContainTextAsync(In(at, Zone));
        }
        await browser.AssertNoHorizontalOverflowAsync();
        await browser.ScreenshotAsync("job-cron");
        await page.Locator("nav [data-nav=Jobs]").ClickAsync();
        await Expect(page.Locator("#jobs tr[data-job='digest'] .interval")).ToHaveTextAsync(Expression);
        browser.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Interval_preview_follows_the_interval_and_the_start()
    {
        var (product, key) = await server.CreateProductAsync("every");
        await server.CreateFunctionEventAsync(product, "ok", Succeeds);
        await using var browser = await server.NewPageAsync("UTC");
        var page = browser.Page;
        await browser.SignInAsync(key, $"#/p/{product}/jobs/new");
        var start = DateTimeOffset.UtcNow.AddDays(2).Date.AddHours(6);
        await page.Locator("#f-start_at").FillAsync(start.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        await page.Locator("#f-intervals").FillAsync("3600000");
        var rows = page.Locator("#preview-runs tbody tr");
        await Expect(rows).ToHaveCountAsync(5);
        for (var i = 0; i < 5; i++)
            await Expect(rows.Nth(i).Locator("td").Nth(1)).ToContainTextAsync(In(new DateTimeOffset(start.AddHours(i), TimeSpan.Zero), "UTC"));
        browser.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Job_page_shows_failure_settings_and_pauses_until_a_chosen_time()
    {
        var (product, key) = await server.CreateProductAsync("until");
        await server.CreateFunctionEventAsync(product, "ok", Succeeds);
        await server.CreateFunctionEventAsync(product, "alert", Succeeds);
        await server.CreateJobAsync(product, new
        {
            name = "Hourly", tag = "hourly", event_type = "function", event_tag = "ok", executions = 0, intervals = 3_600_000,
            on_failure = new { event_type = "function", event_tag = "alert" }, pause_after_failures = 3,
        });
        await using var browser = await server.NewPageAsync(BrowserZone);
        var page = browser.Page;
        await browser.SignInAsync(key, $"#/p/{product}/jobs/hourly");
        await Expect(page.Locator("#job-facts")).ToContainTextAsync("function / alert");
        await Expect(page.Locator("#job-failures")).ToContainTextAsync("0 consecutive");
        await Expect(page.Locator("#job-failures")).ToContainTextAsync("after 3");

        // The datetime input is the browser's local time (New York); the API gets the instant.
        var until = DateTimeOffset.UtcNow.AddHours(3);
        until = new DateTimeOffset(until.Year, until.Month, until.Day, until.Hour, until.Minute, 0, TimeSpan.Zero);
        var local = TimeZoneInfo.ConvertTime(until, TimeZoneInfo.FindSystemTimeZoneById(BrowserZone));
        await page.Locator("#pause-until").FillAsync(local.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture));
        await page.Locator("#pause-until-button").ClickAsync();
        await Expect(page.Locator("#job-status-value")).ToHaveTextAsync(new Regex("^paused"));
        await Expect(page.Locator("#job-paused-until")).ToContainTextAsync(until.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
        var job = await server.GetAsync($"/api/products/{product}/jobs/hourly");
        Assert.Equal("paused", job["status"]!.GetValue<string>());
        Assert.Equal(until, DateTimeOffset.Parse(job["paused_until"]!.GetValue<string>(), CultureInfo.InvariantCulture));

        // "none" in the form removes the failure hook.
        await page.Locator("a.button", new() { HasText = "Edit" }).ClickAsync();
        await Expect(page.Locator("#f-on_failure")).ToHaveValueAsync("function/alert");
        await page.Locator("#f-on_failure").SelectOptionAsync("");
        await page.Locator("#save-job").ClickAsync();
        await Expect(page.Locator("#flash")).ToContainTextAsync("Saved hourly.");
        await Expect(page.Locator("#job-facts")).Not.ToContainTextAsync("function / alert");
        Assert.Null((await server.GetAsync($"/api/products/{product}/jobs/hourly"))["on_failure"]);
        browser.AssertNoScriptErrors();
    }

    /// <summary>"2026-12-07 08:30:00": the instant read in an IANA zone, as the dashboard writes it (before the zone's abbreviation).</summary>
    private static string In(DateTimeOffset at, string zone) =>
        TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById(zone)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private async Task<JsonNode> PreviewAsync(string product, object body) =>
        (await server.SendAsync(HttpMethod.Post, $"/api/products/{product}/schedule:preview", body))!;

    /// <summary>The problem+json of a preview the API refuses (it must answer 400).</summary>
    private async Task<JsonNode> RefusalAsync(string product, object body)
    {
        using var response = await server.Admin.PostAsJsonAsync($"/api/products/{product}/schedule:preview", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"schedule:preview answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }
}
