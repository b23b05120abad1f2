using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Metronome.Testing;
using Microsoft.Playwright;

namespace Metronome.Dashboard.Tests;

/// <summary>
/// One real server process (SQLite, fresh data directory, loopback port) and one headless Debian chromium driven by
/// Playwright, shared by every dashboard scenario; each scenario creates its own product, so they never see each
/// other's data. Playwright's own browser download is never used: the browser is <c>/usr/bin/chromium</c>
/// (tests/services/install.sh installs it).
/// </summary>
public sealed class DashboardServer : IAsyncLifetime
{
    public const string AdminKey = "dashboard-tests-admin-key-0123456789";
    public const string Chromium = "/usr/bin/chromium";
    /// <summary>Browser tests run on the wall clock: every wait is an auto-wait with this patience.</summary>
    public const float Patience = 30_000;

    private ServerProcess? _server;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("metronome-dashboard-").FullName;
    public Uri BaseAddress => (_server ?? throw new InvalidOperationException("not started")).BaseAddress;
    public HttpClient Admin { get; private set; } = null!;

    /// <summary>Screenshots go to the test output folder (never into the source tree); docs/images holds copies.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} is missing: run tests/services/install.sh (it installs Debian's chromium).");
        Directory.CreateDirectory(ScreenshotDirectory);
        _server = await ServerProcess.StartAsync("dashboard", DataDirectory, AdminKey);
        Admin = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        // The driver is the node.js program inside the NuGet package; nothing may fetch a browser.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
        Assertions.SetDefaultExpectTimeout(Patience);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        Admin?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The server's output so far, for a failing assertion's message.</summary>
    public string ServerOutput => _server?.Output ?? "";

    /// <summary>
    /// A fresh browser context (its own cookies) 1,280 px wide, with a page that records console errors; the browser's
    /// own time zone is <paramref name="timeZone"/> (an IANA name) when given.
    /// </summary>
    public async Task<BrowserPage> NewPageAsync(string? timeZone = null)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            TimezoneId = timeZone,
        });
        context.SetDefaultTimeout(Patience);
        var page = await context.NewPageAsync();
        return new BrowserPage(context, page);
    }

    /// <summary>Creates a product with a unique tag and returns it with a product key of its own.</summary>
    public async Task<(string Product, string Key)> CreateProductAsync(string prefix)
    {
        var tag = $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
        await SendAsync(HttpMethod.Post, "/api/products", new { tag, name = $"{prefix} product" });
        var key = await SendAsync(HttpMethod.Post, $"/api/products/{tag}/keys");
        return (tag, key!["key"]!.GetValue<string>());
    }

    /// <summary>A JavaScript function event: <paramref name="code"/> defines <c>handler(input, context)</c>.</summary>
    public Task CreateFunctionEventAsync(string product, string tag, string code) =>
        SendAsync(HttpMethod.Post, $"/api/products/{product}/events",
            new { type = "function", tag, name = $"Function {tag}", definition = new { language = "javascript", code } });

    public async Task<JsonNode> CreateJobAsync(string product, object job) =>
        (await SendAsync(HttpMethod.Post, $"/api/products/{product}/jobs", job))!;

    public async Task<JsonNode> GetAsync(string path) => (await SendAsync(HttpMethod.Get, path))!;

    /// <summary>An admin call that must succeed; its JSON answer (null for 204).</summary>
    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    /// <summary>
    /// Polls the API (the server executes jobs on its own clock) until <paramref name="done"/> holds for the answer of
    /// <paramref name="path"/>, or fails after the patience with the last answer.
    /// </summary>
    public async Task<JsonNode> WaitForAsync(string path, Func<JsonNode, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(Patience);
        JsonNode last;
        do
        {
            last = await GetAsync(path);
            if (done(last)) return last;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"{what} not seen within {Patience} ms; last answer of {path}: {last.ToJsonString(new JsonSerializerOptions { WriteIndented = true })}");
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardServer>
{
    public const string Name = "dashboard";
}
