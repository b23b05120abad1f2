using System.Collections.Concurrent;
using System.Net;
using Metronome.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metronome.Client.Tests;

/// <summary>
/// Retries against a real listener that answers 503 to the first request of each method: idempotent calls (GET, PUT,
/// DELETE) are retried, POST and PATCH never are, both with <c>AddMetronomeClient</c> and with a client built by hand.
/// </summary>
public sealed class ResilienceTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private Uri _address = null!;
    private readonly ConcurrentDictionary<string, int> _requests = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapFallback((HttpContext http) =>
        {
            var n = _requests.AddOrUpdate(http.Request.Method, 1, (_, c) => c + 1);
            if (n == 1) return Results.Problem(statusCode: 503, title: "Service Unavailable", detail: "try again");
            return http.Request.Method == "DELETE" || http.Request.Method == "PUT"
                ? Results.NoContent()
                : Results.Json(new { tag = "shop", name = "Shop" });
        });
        await _app.StartAsync();
        _address = new Uri(_app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private IMetronome FromDependencyInjection(out ServiceProvider provider)
    {
        var services = new ServiceCollection();
        services.AddMetronomeClient(o =>
        {
            o.BaseAddress = _address;
            o.ApiKey = "k";
            o.RetryDelay = TimeSpan.FromMilliseconds(10);
        });
        provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IMetronome>();
    }

    [Fact]
    public async Task AddMetronomeClient_retries_a_transient_failure_of_a_GET()
    {
        var client = FromDependencyInjection(out var provider);
        await using var _ = provider;

        var product = await client.Products.FetchAsync("shop");

        Assert.Equal("Shop", product.Name);
        Assert.Equal(2, _requests["GET"]);
    }

    [Fact]
    public async Task AddMetronomeClient_retries_PUT_and_DELETE()
    {
        var client = FromDependencyInjection(out var provider);
        await using var _ = provider;

        await client.Product("shop").Secrets.SetAsync("S", "v");
        await client.Product("shop").Jobs.DeleteAsync("j");

        Assert.Equal(2, _requests["PUT"]);
        Assert.Equal(2, _requests["DELETE"]);
    }

    [Fact]
    public async Task AddMetronomeClient_never_retries_a_POST_or_a_PATCH()
    {
        var client = FromDependencyInjection(out var provider);
        await using var _ = provider;

        var post = await Assert.ThrowsAsync<MetronomeApiException>(() => client.Products.CreateAsync(new Product { Tag = "shop", Name = "Shop" }));
        var patch = await Assert.ThrowsAsync<MetronomeApiException>(() => client.Products.UpdateAsync("shop", new ProductUpdate { Name = "X" }));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, post.StatusCode);
        Assert.Equal("try again", post.Detail);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, patch.StatusCode);
        Assert.Equal(1, _requests["POST"]);
        Assert.Equal(1, _requests["PATCH"]);
    }

    [Fact]
    public async Task A_client_built_by_hand_has_the_same_retry_policy()
    {
        using var client = new MetronomeClient(new MetronomeClientOptions { BaseAddress = _address, ApiKey = "k", RetryDelay = TimeSpan.FromMilliseconds(10) });

        await client.Products.FetchAsync("shop");
        await Assert.ThrowsAsync<MetronomeApiException>(() => client.Products.CreateAsync(new Product { Tag = "shop", Name = "Shop" }));

        Assert.Equal(2, _requests["GET"]);
        Assert.Equal(1, _requests["POST"]);
    }
}
