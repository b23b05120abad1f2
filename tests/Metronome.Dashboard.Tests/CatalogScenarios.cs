using static Microsoft.Playwright.Assertions;

namespace Metronome.Dashboard.Tests;

[Collection(DashboardCollection.Name)]
public sealed class CatalogScenarios(DashboardServer server)
{
    [Fact]
    public async Task Events_are_created_and_edited_through_their_form()
    {
        var (product, key) = await server.CreateProductAsync("events");
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        await browser.SignInAsync(key);
        await page.Locator("nav [data-nav=Events]").ClickAsync();
        await page.Locator("#new-event").ClickAsync();
        await page.Locator("#f-type").SelectOptionAsync("function");
        await page.Locator("#f-tag").FillAsync("sum");
        await page.Locator("#f-name").FillAsync("Sum");
        await page.Locator("#f-definition").FillAsync("{\"language\": \"javascript\", \"code\": \"function handler(input) { return 1; }\"}");
        await page.Locator("#save-event").ClickAsync();
        var row = page.Locator("#events tr[data-event='function/sum']");
        await Expect(row).ToContainTextAsync("Sum");

        await row.Locator("a", new() { HasText = "sum" }).ClickAsync();
        await page.Locator("#f-name").FillAsync("Sum of two");
        await page.Locator("#f-definition").FillAsync("{\"language\": \"javascript\", \"code\": \"function handler(input) { return 2; }\"}");
        await page.Locator("#save-event").ClickAsync();
        await Expect(row).ToContainTextAsync("Sum of two");
        var ev = await server.GetAsync($"/api/products/{product}/events/function/sum");
        Assert.Equal("Sum of two", ev["name"]!.GetValue<string>());
        Assert.Contains("return 2", ev["definition"]!["code"]!.GetValue<string>());

        // A definition the API refuses shows its error in the form.
        await page.Locator("#new-event").ClickAsync();
        await page.Locator("#f-type").SelectOptionAsync("function");
        await page.Locator("#f-tag").FillAsync("Bad Tag!");
        await page.Locator("#f-name").FillAsync("Bad");
        await page.Locator("#save-event").ClickAsync();
        await Expect(page.Locator(".form-errors, .field.invalid .field-error").First).Not.ToBeEmptyAsync();
        browser.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Secret_values_are_write_only()
    {
        const string value = "s3cr3t-value-never-shown-0042";
        var (product, key) = await server.CreateProductAsync("secrets");
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        await browser.SignInAsync(key);
        await page.Locator("nav [data-nav=Secrets]").ClickAsync();
        await page.Locator("#f-name").FillAsync("API_TOKEN");
        await page.Locator("#f-value").FillAsync(value);
        await page.Locator("#save-secret").ClickAsync();
        await Expect(page.Locator("#secrets tr[data-secret='API_TOKEN']")).ToContainTextAsync("UTC");
        await Expect(page.Locator("#f-value")).ToHaveValueAsync("");
        Assert.DoesNotContain(value, await page.ContentAsync());
        var list = (await server.GetAsync($"/api/products/{product}/secrets")).AsArray();
        Assert.Contains(list, s => s!["name"]!.GetValue<string>() == "API_TOKEN");
        Assert.DoesNotContain(value, list.ToJsonString());
        browser.AssertNoScriptErrors();
    }
}
