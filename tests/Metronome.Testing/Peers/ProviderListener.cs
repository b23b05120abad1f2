using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metronome.Testing.Peers;

/// <summary>What a provider's API was sent; <paramref name="ReceivedAt"/> is the <see cref="System.Diagnostics.Stopwatch"/> timestamp of its arrival.</summary>
public sealed record ProviderRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string ContentType, string Body, long ReceivedAt);

/// <summary>
/// A real Kestrel listener on a free loopback port playing a provider's HTTP API (Expo push, Twilio SMS): each test
/// mounts its own base path with the status and JSON to answer, and reads back exactly what was sent.
/// </summary>
public sealed class ProviderListener : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, (int Status, string Json)> _answers = new();
    private readonly ConcurrentQueue<ProviderRequest> _requests = new();
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";

    /// <summary>A fresh base URL (<c>http://127.0.0.1:port/t/guid</c>) whose requests are answered with <paramref name="json"/>.</summary>
    public string Mount(int status, string json)
    {
        var path = "/t/" + Guid.NewGuid().ToString("N");
        _answers[path] = (status, json);
        return BaseUrl + path;
    }

    public IReadOnlyList<ProviderRequest> RequestsUnder(string baseUrl) =>
        [.. _requests.Where(r => (BaseUrl + r.Path).StartsWith(baseUrl + "/", StringComparison.Ordinal))];

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        _app = app;
        BaseUrl = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
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
        var receivedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _requests.Enqueue(new ProviderRequest(request.Method, request.Path.Value!, headers, request.ContentType ?? "", body, receivedAt));
        var mount = string.Join('/', request.Path.Value!.Split('/').Take(3));
        var (status, json) = _answers.TryGetValue(mount, out var answer) ? answer : (404, """{"message":"not mounted"}""");
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }
}
