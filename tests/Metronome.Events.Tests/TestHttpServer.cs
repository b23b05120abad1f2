using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metronome.Events.Tests;

/// <summary>What the server saw of one request.</summary>
internal sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// A real Kestrel listener on 127.0.0.1 (a free port). Paths: <c>/status/{code}</c> answers that status,
/// <c>/slow</c> never answers, <c>/redirect/{code}/…?to=url</c> redirects, <c>/text</c> answers text, <c>/big</c> a 100 KB JSON string, anything else
/// <c>{"ok": true}</c>. Tests use a unique path each so they can run in parallel against one server.
/// </summary>
public sealed class TestHttpServer : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, RecordedRequest> _requests = new();
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";

    internal RecordedRequest RequestTo(string path) =>
        _requests.TryGetValue(path, out var request) ? request : throw new InvalidOperationException($"No request to {path}.");

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.Run(HandleAsync);
        await app.StartAsync();
        _app = app;
        BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _requests[request.Path.Value!] = new RecordedRequest(request.Method, request.Path.Value!, request.QueryString.Value ?? "", headers, body);

        var segments = request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (segments.FirstOrDefault())
        {
            case "status":
                context.Response.StatusCode = int.Parse(segments[1]);
                await context.Response.WriteAsJsonAsync(new { ok = false });
                break;
            case "slow":
                await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                break;
            case "text":
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("hello");
                break;
            case "redirect":
                // /redirect/{status}/{unique}?to=<absolute url>: a redirect answer (tests of redirect handling).
                context.Response.StatusCode = int.Parse(segments[1]);
                context.Response.Headers.Location = request.Query["to"].ToString();
                break;
            case "big":
                await context.Response.WriteAsJsonAsync(new string('x', 100_000));
                break;
            default:
                await context.Response.WriteAsJsonAsync(new { ok = true });
                break;
        }
    }
}
