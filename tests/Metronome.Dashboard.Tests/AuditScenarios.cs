using System.Text.Json.Nodes;
using static Microsoft.Playwright.Assertions;

namespace Metronome.Dashboard.Tests;

/// <summary>The audit page: who changed what (old → new per field), filtered by action, paged with the API's cursor.</summary>
[Collection(DashboardCollection.Name)]
public sealed class AuditScenarios(DashboardServer server)
{
    private const string Succeeds = "function handler(input, context) { return { ok: true }; }";

    [Fact]
    public async Task Audit_page_lists_the_create_and_the_forms_update_with_its_field_changes_and_filters_by_action()
    {
        var (product, _) = await server.CreateProductAsync("audit");
        var issued = (await server.SendAsync(HttpMethod.Post, $"/api/products/{product}/keys"))!;
        var keyId = issued["id"]!.GetValue<string>();
        await server.CreateFunctionEventAsync(product, "ok", Succeeds);
        await server.CreateJobAsync(product, new { name = "Sync", tag = "sync", event_type = "function", event_tag = "ok", executions = 0, intervals = 90000 });
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        // The edit is made in the dashboard with the product key: its session acts as that key.
        await browser.SignInAsync(issued["key"]!.GetValue<string>(), $"#/p/{product}/jobs/sync/edit");
        await page.Locator("#f-name").FillAsync("Sync orders");
        await page.Locator("#f-intervals").FillAsync("60000");
        await page.Locator("#save-job").ClickAsync();
        await Expect(page.Locator("#job-facts")).ToContainTextAsync("1 min (60000 ms)");

        await page.Locator("nav [data-nav=Audit]").ClickAsync();
        var update = page.Locator("#audit tbody tr[data-action='job.update']");
        await Expect(update).ToHaveCountAsync(1);
        await Expect(update.Locator("[data-change=intervals]")).ToHaveTextAsync("intervals: 90000 → 60000");
        await Expect(update.Locator("[data-change=name]")).ToHaveTextAsync("name: Sync → Sync orders");
        await Expect(update.Locator("td").Nth(1)).ToHaveTextAsync(keyId);
        await Expect(update.Locator(".target")).ToContainTextAsync("sync");
        var create = page.Locator("#audit tbody tr[data-action='job.create']");
        await Expect(create).ToHaveCountAsync(1);
        await Expect(create.Locator("td").Nth(1)).ToHaveTextAsync("admin");
        await Expect(create.Locator(".target")).ToContainTextAsync("sync");
        // Newest first: the update comes before the create.
        var actions = await page.Locator("#audit tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.action)");
        Assert.True(Array.IndexOf(actions, "job.update") < Array.IndexOf(actions, "job.create"), string.Join(", ", actions));
        await browser.AssertNoHorizontalOverflowAsync();
        await browser.ScreenshotAsync("audit");

        await page.Locator("#audit-filter").FillAsync("job.create");
        await Expect(page.Locator("#audit tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#audit tbody tr").First).ToHaveAttributeAsync("data-action", "job.create");
        await page.Locator("#audit-filter").FillAsync("no.such.action");
        await Expect(page.Locator("#no-audit")).ToBeVisibleAsync();
        browser.AssertNoScriptErrors();
    }

    [Fact]
    public async Task The_engines_pause_after_failures_shows_with_its_actor_and_reason()
    {
        var (product, key) = await server.CreateProductAsync("auditengine");
        await server.CreateFunctionEventAsync(product, "broken", "function handler(input, context) { throw new Error('down'); }");
        await server.CreateJobAsync(product, new { name = "Flaky", tag = "flaky", event_type = "function", event_tag = "broken",
            executions = 0, intervals = 1000, start_at = "now", pause_after_failures = 2 });
        await server.WaitForAsync($"/api/products/{product}/jobs/flaky", job => job["status"]!.GetValue<string>() == "paused", "the job's pause after 2 failures");
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        await browser.SignInAsync(key, $"#/p/{product}/audit");
        var pause = page.Locator("#audit tbody tr[data-action='job.pause']");
        await Expect(pause).ToHaveCountAsync(1);
        await Expect(pause.Locator("td").Nth(1)).ToHaveTextAsync("engine");
        await Expect(pause.Locator("[data-change=status]")).ToHaveTextAsync("status: active → paused");
        await Expect(pause.Locator(".audit-reason")).ToHaveTextAsync("2 consecutive slots ended without success");
        browser.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Audit_page_pages_with_the_APIs_cursor()
    {
        var (product, key) = await server.CreateProductAsync("auditpages");
        await server.CreateFunctionEventAsync(product, "ok", Succeeds);
        await server.CreateJobAsync(product, new { name = "Job 0", tag = "paged", event_type = "function", event_tag = "ok", executions = 0, intervals = 3_600_000 });
        for (var i = 1; i <= 55; i++)
            await server.SendAsync(HttpMethod.Patch, $"/api/products/{product}/jobs/paged", new { name = $"Job {i}" });
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        await browser.SignInAsync(key, $"#/p/{product}/audit");
        var rows = page.Locator("#audit tbody tr");
        await Expect(rows).ToHaveCountAsync(50);
        await Expect(rows.First.Locator("[data-change=name]")).ToHaveTextAsync("name: Job 54 → Job 55");
        await Expect(page.Locator("#audit tbody tr[data-action='job.create']")).ToHaveCountAsync(0);

        await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Older" }).ClickAsync();
        await Expect(page.Locator("#audit tbody tr[data-action='job.create']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#audit tbody tr[data-action='job.update']")).ToHaveCountAsync(5);   // Job 0 → 1 … Job 4 → 5
        await Expect(page.Locator("#audit tbody tr[data-action='job.update']").Last.Locator("[data-change=name]")).ToHaveTextAsync("name: Job 0 → Job 1");
        await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "First page" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(50);
        browser.AssertNoScriptErrors();
    }
}
