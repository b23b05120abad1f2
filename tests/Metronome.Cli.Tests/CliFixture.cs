using System.Text.Json;
using Metronome.Client;
using Metronome.Contracts;
using Metronome.Testing.Processes;

namespace Metronome.Cli.Tests;

/// <summary>The server started as <c>metronome serve</c> (a process on a free loopback port), shared by the CLI tests.</summary>
public sealed class CliFixture : IAsyncLifetime
{
    private static int _counter;
    private ServerProcess? _server;

    public Uri Url => (_server ?? throw new InvalidOperationException("not started")).BaseAddress;
    public MetronomeClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(CliProcess.Dll, CliProcess.ServerEnvironment, "serve");
        Admin = new MetronomeClient(new MetronomeClientOptions { BaseAddress = Url, ApiKey = ServerProcess.AdminKey });
    }

    public Task<CliResult> RunAsync(params string[] args) => CliProcess.RunAsync(Url, ServerProcess.AdminKey, args);

    public Task<CliResult> RunWithInputAsync(string stdin, params string[] args) => CliProcess.RunAsync(Url, ServerProcess.AdminKey, args, stdin);

    public CliProcess Start(params string[] args) => CliProcess.Start(Url, ServerProcess.AdminKey, args);

    /// <summary>A new product with the action event <c>action_tag</c> and the JavaScript function event <c>sum</c>.</summary>
    public async Task<string> CreateProductAsync()
    {
        var tag = $"shop-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..6]}";
        await Admin.Products.CreateAsync(new Product { Tag = tag, Name = "Shop" });
        await Admin.Product(tag).Events.CreateAsync(new ProductEvent
        {
            Type = "action", Tag = "action_tag", Name = "Ping",
            Definition = JsonSerializer.SerializeToElement(new { method = "POST", url = "http://127.0.0.1:9/ping" }),
        });
        await Admin.Product(tag).Events.CreateAsync(new ProductEvent
        {
            Type = "function", Tag = "sum", Name = "Sum",
            Definition = JsonSerializer.SerializeToElement(new { language = "javascript", code = "function handler(input, context) { return context.run.slot; }" }),
        });
        return tag;
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliFixture>
{
    public const string Name = "metronome serve process";
}
