using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metronome.Security.Tests.Egress;

/// <summary>What the target was sent.</summary>
public sealed record TargetRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// A real Kestrel listener on 127.0.0.1 standing in for a tenant's target: <c>/redirect/{code}/…?to=url</c> answers a
/// redirect, anything else echoes <c>{"path", "body"}</c> as JSON (so whatever was sent comes back in the run's output).
/// </summary>
public sealed class EchoTarget : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, TargetRequest> _requests = new();
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";
    public int Port => new Uri(BaseUrl).Port;

    public TargetRequest? RequestTo(string path) => _requests.TryGetValue(path, out var request) ? request : null;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.Run(async context =>
        {
            var request = context.Request;
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var path = request.Path.Value!;
            _requests[path] = new TargetRequest(request.Method, path,
                request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body);
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (segments.FirstOrDefault() == "redirect")
            {
                context.Response.StatusCode = int.Parse(segments[1], System.Globalization.CultureInfo.InvariantCulture);
                context.Response.Headers.Location = request.Query["to"].ToString();
                return;
            }
            await context.Response.WriteAsJsonAsync(new { path, body });
        });
        await app.StartAsync();
        _app = app;
        BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
