using System.Text.Json;
using Metronome.Contracts;
using Metronome.Testing.Processes;

namespace Metronome.Client.Tests.Infrastructure;

/// <summary>One real server process on loopback shared by every SDK test (each test uses its own product).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private static int _counter;
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("not started");
    public MetronomeClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(ServerProcess.BuiltAssembly("Metronome.Server", "Metronome.Server"));
        Admin = Client(ServerProcess.AdminKey);
    }

    public MetronomeClient Client(string? key) =>
        new(new MetronomeClientOptions { BaseAddress = Server.BaseAddress, ApiKey = key, RetryDelay = TimeSpan.FromMilliseconds(50) });

    public static string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>A new product with a JavaScript function event <c>sum</c> and an action event <c>action_tag</c>.</summary>
    public async Task<string> CreateProductAsync()
    {
        var tag = Unique("p");
        await Admin.Products.CreateAsync(new Product { Tag = tag, Name = "Shop" });
        var events = Admin.Product(tag).Events;
        await events.CreateAsync(FunctionEvent("sum"));
        await events.CreateAsync(new ProductEvent
        {
            Type = JobEventTypes.Action, Tag = "action_tag", Name = "Ping",
            Definition = JsonSerializer.SerializeToElement(new { method = "POST", url = "http://127.0.0.1:9/ping" }),
        });
        return tag;
    }

    public static ProductEvent FunctionEvent(string tag) => new()
    {
        Type = JobEventTypes.Function, Tag = tag, Name = "Sum",
        Definition = JsonSerializer.SerializeToElement(new
        {
            language = "javascript",
            code = "function handler(input, context) { return { slot: context.run.slot }; }",
        }),
    };

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server process";
}

public static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds or the deadline passes; returns the last value.</summary>
    public static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await probe();
            if (condition(value) || DateTime.UtcNow > until) return value;
            await Task.Delay(50);
        }
    }
}
