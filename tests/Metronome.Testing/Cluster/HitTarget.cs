using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metronome.Testing.Cluster;

/// <summary>
/// One request the target received. <paramref name="Key"/> is its <c>Idempotency-Key</c> header (<c>product/job/slot</c>),
/// <paramref name="Token"/> its <c>X-Token</c> header (a secret the event sends), <paramref name="ReceivedAt"/> the
/// <see cref="Stopwatch"/> timestamp of its arrival.
/// </summary>
public sealed record Hit(string Path, string Key, string Token, string Body, long ReceivedAt)
{
    /// <summary>The job tag of the key <c>product/job/slot</c>.</summary>
    public string Job => Key.Split('/') is [_, var job, _] ? job : "";

    /// <summary>The attempt the body names (<c>"attempt": "{{run.attempt}}"</c> in the event), or null when it names none.</summary>
    public int? Attempt
    {
        get
        {
            try
            {
                using var body = JsonDocument.Parse(Body);
                return body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("attempt", out var a)
                    && int.TryParse(a.ToString(), out var attempt) ? attempt : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}

/// <summary>
/// The HTTP target of a cluster under test, a Kestrel listener in the test process. Every POST to <c>/hit</c> or under it is recorded
/// and counted by idempotency key, then answered 200 after <see cref="Delay"/> (or <c>?delay_ms=N</c>, or <see cref="HitDuration"/>) (so that attempts are in flight when a node
/// dies). A POST to <c>/slow/{ms}</c> is recorded the same way and answered after that many milliseconds.
/// </summary>
public sealed class HitTarget : IAsyncDisposable
{
    private readonly ConcurrentQueue<Hit> _hits = new();
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly WebApplication _app;

    private HitTarget(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    /// <summary>How long a <c>/hit/</c> request is held before its answer. Default 30 ms.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(30);

    /// <summary>When set, how long the n-th (1-based) <c>/hit</c> request of an idempotency key is held, instead of <see cref="Delay"/>.</summary>
    public Func<int, TimeSpan>? HitDuration { get; set; }

    /// <summary>Requests received per idempotency key (live: counts grow as requests arrive).</summary>
    public ConcurrentDictionary<string, int> Counts => _counts;

    /// <summary>Every request received so far, in order of arrival.</summary>
    public IReadOnlyList<Hit> Hits => [.. _hits];

    /// <summary>A copy of the counts per idempotency key at this instant.</summary>
    public Dictionary<string, int> CountsNow() => new(_counts);

    public static async Task<HitTarget> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var target = new HitTarget(builder.Build());
        target._app.MapPost("/hit", (HttpContext context) => target.RecordAsync(context, nth => QueryDelay(context) ?? target.HitDuration?.Invoke(nth) ?? target.Delay));
        target._app.MapPost("/hit/{**rest}", (HttpContext context) => target.RecordAsync(context, nth => QueryDelay(context) ?? target.HitDuration?.Invoke(nth) ?? target.Delay));
        target._app.MapPost("/slow/{ms:int}", (HttpContext context, int ms) => target.RecordAsync(context, _ => TimeSpan.FromMilliseconds(ms)));
        await target._app.StartAsync();
        target.BaseUrl = target._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return target;
    }

    /// <summary>A <c>?delay_ms=N</c> on a <c>/hit</c> request holds that one request N ms.</summary>
    private static TimeSpan? QueryDelay(HttpContext context) =>
        int.TryParse(context.Request.Query["delay_ms"], out var ms) ? TimeSpan.FromMilliseconds(ms) : null;

    private async Task RecordAsync(HttpContext context, Func<int, TimeSpan> delayOf)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var key = request.Headers["Idempotency-Key"].ToString();
        _hits.Enqueue(new Hit(request.Path.Value ?? "", key, request.Headers["X-Token"].ToString(), body, Stopwatch.GetTimestamp()));
        var nth = _counts.AddOrUpdate(key, 1, (_, n) => n + 1);
        try
        {
            await Task.Delay(delayOf(nth), context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The caller went away (its node was killed): the request still counts as received.
        }
        if (!context.RequestAborted.IsCancellationRequested)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"ok":true}""", CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
