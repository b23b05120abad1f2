using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Metronome.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Metronome.Server.Tests.Infrastructure;

/// <summary>
/// The real server (<see cref="MetronomeServer.Build"/>) started in-process on a free loopback port with its own
/// temporary data directory, called over real HTTP.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string AdminKeyValue = "test-admin-key-0123456789abcdef";

    private readonly WebApplication _app;
    private readonly bool _ownsDirectory;

    private TestServer(WebApplication app, string dataDirectory, bool ownsDirectory)
    {
        _app = app;
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        BaseAddress = new Uri(address);
        Anonymous = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Admin = Client(AdminKeyValue);
    }

    public string DataDirectory { get; }
    public Uri BaseAddress { get; }
    public HttpClient Anonymous { get; }
    public HttpClient Admin { get; }

    /// <summary>Starts a server. <paramref name="adminKey"/> null lets it generate one into the data directory.</summary>
    /// <param name="configure">Called on the builder after the settings (tests add a log provider here).</param>
    public static async Task<TestServer> StartAsync(string? adminKey = AdminKeyValue, string? dataDirectory = null, IDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var ownsDirectory = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("metronome-server-tests-").FullName;
        var values = new Dictionary<string, string?> { ["METRONOME_DATA"] = dataDirectory, ["METRONOME_NODE"] = "test-node" };
        if (adminKey is not null) values["METRONOME_ADMIN_KEY"] = adminKey;
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) values[k] = v;
        var app = MetronomeServer.Build(["--urls=http://127.0.0.1:0"], b =>
        {
            b.Configuration.AddInMemoryCollection(values);
            configure?.Invoke(b);
        });
        await app.StartAsync();
        return new TestServer(app, dataDirectory, ownsDirectory);
    }

    /// <summary>
    /// Completes when the server's engine is idle (nothing due now, no attempt held, no outcome unwritten): from then on
    /// nothing happens until a command or the next due instant. The signal tests await instead of sleeping.
    /// </summary>
    public IServiceProvider Services => _app.Services;

    public Task WaitForEngineIdleAsync() =>
        _app.Services.GetRequiredService<Metronome.Core.Engine.EngineProbe>().WaitForIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));

    public HttpClient Client(string key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Stops and disposes the application exactly as <c>RunAsync</c> does at the end of a real process.</summary>
    public async Task StopStrictAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Anonymous.Dispose();
        Admin.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsDirectory)
        {
            try { Directory.Delete(DataDirectory, recursive: true); }
            catch (IOException) { /* a file still held open is not worth failing a test for */ }
        }
    }
}

/// <summary>Helpers to call the API with wire JSON.</summary>
public static class TestApi
{
    private static int _counter;

    public static string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..6]}";

    public static StringContent Json(object body) =>
        new(JsonSerializer.Serialize(body, MetronomeJson.Options), Encoding.UTF8, "application/json");

    public static StringContent Raw(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonSerializer.Deserialize<T>(text, MetronomeJson.Options)
            ?? throw new InvalidOperationException($"Empty body ({(int)response.StatusCode}).");
    }

    /// <summary>Asserts the status and returns the body text, showing it on failure.</summary>
    public static async Task<string> ExpectAsync(this HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
        return text;
    }

    public static async Task<Product> CreateProductAsync(this TestServer server, string? tag = null)
    {
        var response = await server.Admin.PostAsync(Routes.Products, Json(new Product { Tag = tag ?? Unique("p"), Name = "Product" }));
        await response.ExpectAsync(201);
        return await response.ReadAsync<Product>();
    }

    public static async Task<string> CreateKeyAsync(this TestServer server, string product)
    {
        var response = await server.Admin.PostAsync(Routes.Keys(product), null);
        await response.ExpectAsync(201);
        return (await response.ReadAsync<ProductKey>()).Key!;
    }

    public static async Task<ProductEvent> CreateActionEventAsync(this HttpClient client, string product, Uri url, string? tag = null)
    {
        var definition = JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["method"] = "POST", ["url"] = url.ToString() });
        var response = await client.PostAsync(Routes.Events(product),
            Json(new ProductEvent { Type = "action", Tag = tag ?? Unique("ev"), Name = "Call target", Definition = definition }));
        await response.ExpectAsync(201);
        return await response.ReadAsync<ProductEvent>();
    }

    public static async Task<ProductEvent> CreateEventAsync(this HttpClient client, string product, string type, string tag, object definition)
    {
        var response = await client.PostAsync(Routes.Events(product),
            Json(new ProductEvent { Type = type, Tag = tag, Name = tag, Definition = JsonSerializer.SerializeToElement(definition) }));
        await response.ExpectAsync(201);
        return await response.ReadAsync<ProductEvent>();
    }

    public static ProductJob Job(string eventTag, string? tag = null, long executions = 0, long intervals = 3_600_000, string? startAt = null) => new()
    {
        Name = "A job",
        Tag = tag ?? Unique("job"),
        EventType = "action",
        EventTag = eventTag,
        Executions = executions,
        Intervals = intervals,
        StartAt = startAt,
    };

    public static async Task<ProductJob> CreateJobAsync(this HttpClient client, string product, ProductJob job)
    {
        var response = await client.PostAsync(Routes.Jobs(product), Json(job));
        await response.ExpectAsync(201);
        return await response.ReadAsync<ProductJob>();
    }

    public static async Task<T> GetJsonAsync<T>(this HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        await response.ExpectAsync(200);
        return await response.ReadAsync<T>();
    }

    /// <summary>Polls until <paramref name="condition"/> holds or the deadline passes; returns the last value.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var value = await probe();
            if (condition(value) || DateTime.UtcNow > until) return value;
            await Task.Delay(50);
        }
    }
}
