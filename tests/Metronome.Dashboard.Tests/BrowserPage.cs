using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Metronome.Dashboard.Tests;

/// <summary>One browser context and page, with the console errors (a CSP violation shows up there) it has seen.</summary>
public sealed class BrowserPage(IBrowserContext context, IPage page) : IAsyncDisposable
{
    private readonly List<string> _errors = Track(page);

    public IBrowserContext Context { get; } = context;
    public IPage Page { get; } = page;

    private static List<string> Track(IPage page)
    {
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") lock (errors) errors.Add(message.Text); };
        page.PageError += (_, error) => { lock (errors) errors.Add(error); };
        return errors;
    }

    /// <summary>Opens the dashboard and signs in with <paramref name="key"/> through the form.</summary>
    public async Task SignInAsync(string key, string hash = "")
    {
        await Page.GotoAsync("/" + hash);
        await Page.Locator("#key").FillAsync(key);
        await Page.Locator("#signin button[type=submit]").ClickAsync();
        await Expect(Page.Locator("#signout")).ToBeVisibleAsync();
    }

    /// <summary>Goes to a view of the dashboard by its hash (e.g. <c>#/p/shop/jobs</c>).</summary>
    public Task GoAsync(string hash) => Page.GotoAsync("/" + hash);

    /// <summary>Saves a screenshot (the whole page, or what a 1,280 × 900 window shows) as <c>name.png</c> in the test output's screenshot folder.</summary>
    public Task ScreenshotAsync(string name, bool fullPage = true) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardServer.ScreenshotDirectory, name + ".png"), FullPage = fullPage });

    /// <summary>No script error and no Content-Security-Policy violation so far (error answers of the API excepted).</summary>
    public void AssertNoScriptErrors()
    {
        string[] errors;
        lock (_errors) errors = _errors.Where(e => !e.StartsWith("Failed to load resource", StringComparison.Ordinal)).ToArray();
        Assert.True(errors.Length == 0, "console errors: " + string.Join(" | ", errors));
    }

    /// <summary>Nothing overflows horizontally: not the document, not a table inside its box.</summary>
    public async Task AssertNoHorizontalOverflowAsync()
    {
        var overflow = await Page.EvaluateAsync<string>("""
            () => {
              const out = [];
              const doc = document.documentElement;
              if (doc.scrollWidth > window.innerWidth) out.push(`document ${doc.scrollWidth} > ${window.innerWidth}`);
              for (const el of document.querySelectorAll("table, .actions, .toolbar, header, form")) {
                const box = el.getBoundingClientRect();
                if (box.right > window.innerWidth + 0.5) out.push(`${el.tagName}.${el.className} ends at ${box.right}`);
                if (el.scrollWidth > el.clientWidth + 1) out.push(`${el.tagName}.${el.className} scrolls ${el.scrollWidth} > ${el.clientWidth}`);
              }
              return out.join("; ");
            }
            """);
        Assert.True(overflow.Length == 0, "horizontal overflow at 1,280 px: " + overflow);
    }

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}
