using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metronome.Server.Tests.Infrastructure;

/// <summary>
/// A second real Kestrel listener on a free loopback port that records every request an <c>action</c> sends; a request with
/// <c>?delay_ms=N</c> is answered N ms after it arrived (a slow target); one with <c>?fail_first=N</c> is answered 500 for
/// the first N requests carrying its Idempotency-Key (a target that fails N attempts of a slot, then succeeds).
/// </summary>
public sealed class TargetListener : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, int> _perKey = new(StringComparer.Ordinal);

    private TargetListener(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    public static async Task<TargetListener> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        TargetListener? self = null;
        app.MapFallback(async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            self!._requests.Enqueue(new ReceivedRequest(
                http.Request.Method, http.Request.Path, http.Request.Headers["Idempotency-Key"].ToString(), http.Request.Headers["X-Token"].ToString(), body)
            {
                Headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            });
            if (int.TryParse(http.Request.Query["delay_ms"], out var delay)) await Task.Delay(delay);
            if (int.TryParse(http.Request.Query["fail_first"], out var failFirst)
                && self!._perKey.AddOrUpdate(http.Request.Headers["Idempotency-Key"].ToString(), 1, (_, n) => n + 1) <= failFirst)
                return Results.StatusCode(500);
            return Results.Ok(new { received = true });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        self = new TargetListener(app, new Uri(new Uri(address), "/hook"));
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record ReceivedRequest(string Method, string Path, string IdempotencyKey, string Token, string Body)
{
    /// <summary>Every header, by name (case-insensitive).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}
