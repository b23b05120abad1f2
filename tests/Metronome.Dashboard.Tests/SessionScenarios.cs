using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Metronome.Dashboard.Tests;

[Collection(DashboardCollection.Name)]
public sealed class SessionScenarios(DashboardServer server)
{
    [Fact]
    public async Task Sign_in_exchanges_the_key_for_an_HttpOnly_cookie_and_sign_out_ends_the_session()
    {
        var (product, key) = await server.CreateProductAsync("signin");
        await using var browser = await server.NewPageAsync();
        var page = browser.Page;
        await page.GotoAsync("/");
        await Expect(page.Locator("#signin")).ToBeVisibleAsync();
        await browser.ScreenshotAsync("sign-in");

        await page.Locator("#key").FillAsync("not-a-key-of-this-server-000000");
        await page.Locator("#signin button[type=submit]").ClickAsync();
        await Expect(page.Locator("#signin-error")).ToContainTextAsync("not valid");

        await page.Locator("#key").FillAsync(key);
        await page.Locator("#signin button[type=submit]").ClickAsync();
        await Expect(page.Locator("#view h2")).ToContainTextAsync(product);
        await Expect(page).ToHaveURLAsync(new Regex($"#/p/{Regex.Escape(product)}/overview$"));

        var cookies = await browser.Context.CookiesAsync();
        var session = Assert.Single(cookies, c => c.Name == "metronome_session");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.DoesNotContain(key, session.Value);
        Assert.Equal(0, await page.EvaluateAsync<int>("() => sessionStorage.length + localStorage.length"));
        Assert.Equal(200, await StatusAsync(page, "GET", $"/api/products/{product}/jobs", csrf: false));
        // An unsafe call authenticated by the cookie needs the CSRF header the page sends.
        Assert.Equal(403, await StatusAsync(page, "POST", $"/api/products/{product}/events", csrf: false));

        await page.Locator("#signout").ClickAsync();
        await Expect(page.Locator("#signin")).ToBeVisibleAsync();
        await Expect(page.Locator("#signin-error")).ToContainTextAsync("Signed out");
        Assert.Equal(401, await StatusAsync(page, "GET", $"/api/products/{product}/jobs", csrf: false));

        // The old cookie, replayed, is refused as well.
        await using var replay = await server.NewPageAsync();
        await replay.Context.AddCookiesAsync([new Cookie { Name = session.Name, Value = session.Value, Domain = session.Domain, Path = session.Path }]);
        await replay.Page.GotoAsync("/");
        Assert.Equal(401, await StatusAsync(replay.Page, "GET", $"/api/products/{product}/jobs", csrf: false));
        browser.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Admin_picks_a_product_and_a_product_key_goes_straight_to_its_product()
    {
        var (product, key) = await server.CreateProductAsync("picker");
        var (other, _) = await server.CreateProductAsync("other");
        await using var admin = await server.NewPageAsync();
        await admin.SignInAsync(DashboardServer.AdminKey);
        await Expect(admin.Page.Locator($"#products a[data-product='{product}']")).ToBeVisibleAsync();
        await Expect(admin.Page.Locator($"#products a[data-product='{other}']")).ToBeVisibleAsync();
        await admin.Page.Locator($"#products a[data-product='{product}']").ClickAsync();
        await Expect(admin.Page.Locator("#view h2")).ToContainTextAsync($"Overview · {product}");

        await using var tenant = await server.NewPageAsync();
        await tenant.SignInAsync(key, $"#/p/{other}/jobs");
        // A product key cannot look at another product: the page goes to its own.
        await Expect(tenant.Page).ToHaveURLAsync(new Regex($"#/p/{Regex.Escape(product)}/overview$"));
        await Expect(tenant.Page.Locator("nav [data-nav=Products]")).ToHaveCountAsync(0);
        admin.AssertNoScriptErrors();
        tenant.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Nodes_view_shows_the_node_as_leader_with_its_heartbeat_age()
    {
        var (product, key) = await server.CreateProductAsync("nodes");
        await using var browser = await server.NewPageAsync();
        await browser.SignInAsync(key);
        await browser.Page.Locator("nav [data-nav=Nodes]").ClickAsync();
        var row = browser.Page.Locator("#nodes tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        var id = await row.GetAttributeAsync("data-node");
        await Expect(browser.Page.Locator("#leader")).ToHaveTextAsync(id!);
        await Expect(row).ToContainTextAsync("leader");
        await Expect(row).ToContainTextAsync("present");
        await Expect(row.Locator(".heartbeat-age")).ToHaveTextAsync(new Regex(@"^\d+ (ms|s)( \d+ ms)?$"));
        Assert.Contains(product, browser.Page.Url);
        await browser.AssertNoHorizontalOverflowAsync();
        await browser.ScreenshotAsync("nodes");
        browser.AssertNoScriptErrors();
    }

    private static Task<int> StatusAsync(IPage page, string method, string path, bool csrf) =>
        page.EvaluateAsync<int>("""
            async ([method, path, csrf]) => {
              const headers = { "Content-Type": "application/json" };
              if (csrf) headers["X-Metronome-Csrf"] = "1";
              const res = await fetch(path, { method, headers, body: method === "GET" ? undefined : "{}" });
              return res.status;
            }
            """, new object[] { method, path, csrf });
}
