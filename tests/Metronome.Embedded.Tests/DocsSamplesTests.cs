using System.Text.Json;
using Metronome.Client;
using Metronome.Contracts;
using Metronome.Core.Hosting;
using Metronome.Events;
using Metronome.Server;
using Metronome.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Metronome.Embedded.Tests;

/// <summary>
/// docs/sdk.md's C# samples are the code of <c>DocsSamples.cs</c> (so they compile with this project) and they work:
/// the client samples against a real server in this process, the embedded host's schedule in a real host.
/// </summary>
public sealed class DocsSamplesTests : IAsyncLifetime
{
    private const string AdminKey = "docs-samples-admin-key-0123456789";
    private readonly string _directory = Directory.CreateTempSubdirectory("metronome-docs-samples-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    [Fact]
    public void Every_csharp_block_of_sdk_md_is_code_of_DocsSamples_cs()
    {
        var root = RepositoryRoot();
        var source = File.ReadAllText(Path.Combine(root, "tests", "Metronome.Embedded.Tests", "DocsSamples.cs"));
        var code = Normalize(source);
        var usings = source.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("using ", StringComparison.Ordinal) && l.EndsWith(';')).ToHashSet();
        var blocks = CSharpBlocks(File.ReadAllLines(Path.Combine(root, "docs", "sdk.md")));

        Assert.True(blocks.Count >= 8, $"docs/sdk.md has {blocks.Count} C# blocks");
        foreach (var (line, block) in blocks)
        {
            var lines = block.Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            foreach (var u in lines.Where(l => l.StartsWith("using ", StringComparison.Ordinal) && l.EndsWith(';') && !l.Contains('=')))
                Assert.True(usings.Contains(u), $"docs/sdk.md:{line}: '{u}' is not a using of DocsSamples.cs");
            var body = string.Join("\n", lines.Where(l => !(l.StartsWith("using ", StringComparison.Ordinal) && l.EndsWith(';') && !l.Contains('='))));
            Assert.True(code.Contains(body, StringComparison.Ordinal), $"docs/sdk.md:{line}: this block is not (indentation aside) in DocsSamples.cs:\n{body}");
        }
    }

    [Fact]
    public async Task The_client_samples_run_against_a_real_server()
    {
        var server = MetronomeServer.Build(["--urls=http://127.0.0.1:0"], b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["METRONOME_DATA"] = Path.Combine(_directory, "server"), ["METRONOME_ADMIN_KEY"] = AdminKey,
        }));
        await server.StartAsync();
        try
        {
            var url = new Uri(server.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            using var admin = DocsSamples.CreateClient(url, AdminKey);
            var productKey = await DocsSamples.SetUpProductAsync(admin, deadline.Token);
            using var client = DocsSamples.CreateClient(url, productKey);

            await DocsSamples.ManageJobsAsync(client, deadline.Token);
            var jobs = client.Product("shop").Jobs;
            var invalid = new ProductJob { Name = "Too fast", Tag = "fast", EventType = "action", EventTag = "ping", Executions = 1, Intervals = 10 };
            var valid = new ProductJob { Name = "Hourly", Tag = "hourly", EventType = "action", EventTag = "ping", Executions = 0, Intervals = 3_600_000 };

            Assert.StartsWith("mk_", productKey, StringComparison.Ordinal);
            Assert.Null(await DocsSamples.FindJobAsync(jobs, "example_job", deadline.Token));
            Assert.False(await DocsSamples.TryCreateAsync(jobs, invalid, deadline.Token));
            Assert.True(await DocsSamples.TryCreateAsync(jobs, valid, deadline.Token));
            Assert.False(await DocsSamples.TryCreateAsync(jobs, valid, deadline.Token));
            Assert.Equal("hourly", (await DocsSamples.FindJobAsync(jobs, "hourly", deadline.Token))?.Tag);
            Assert.Empty(await DocsSamples.RecentFailuresAsync(jobs, "hourly"));
            await Assert.ThrowsAsync<MetronomeApiException>(() => admin.Products.CreateAsync(new Product { Tag = "shop", Name = "Again" }));
        }
        finally
        {
            await server.StopAsync();
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_embedded_samples_schedule_runs_the_dotnet_function_and_survives_a_restart()
    {
        var database = Path.Combine(_directory, "jobs.db");
        for (var start = 1; start <= 2; start++)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            // Program.cs of the sample with a database of this test's own and the handler as written there.
            var builder = Host.CreateApplicationBuilder();
            builder.Services.AddMetronome(o =>
            {
                o.UseSqlite(database);
                o.AddFunction("send-invoices", (input, context, ct) =>
                    Task.FromResult<object?>(new { customer = input.GetProperty("customer").GetString(), slot = context.Slot, key = context.IdempotencyKey }));
            });
            builder.Services.AddMetronomeEvents();
            builder.Services.AddHostedService<InvoiceSchedule>();
            using var host = builder.Build();
            await host.StartAsync(deadline.Token);
            var jobs = host.Services.GetRequiredService<IMetronome>().Product("billing").Jobs;

            JobRun? first = null;
            while (first?.Status != RunStatuses.Succeeded)
            {
                await Task.Delay(50, deadline.Token);
                try { first = await jobs.ListRunsAsync("daily-invoices", ct: deadline.Token) is { Items.Count: > 0 } page ? page.Items[^1] : null; }
                catch (MetronomeApiException) { /* not created yet */ }
            }
            var all = await jobs.FetchAllAsync(deadline.Token);
            await host.StopAsync(deadline.Token);

            Assert.Equal("acme", first.Output!.Value.GetProperty("customer").GetString());
            Assert.Equal("billing/daily-invoices/1", first.Output!.Value.GetProperty("key").GetString());
            Assert.Equal(["daily-invoices"], all.Select(j => j.Tag));
        }
    }

    [Fact]
    public async Task The_web_app_sample_registers_the_client_from_configuration()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Metronome:Url"] = "http://127.0.0.1:5999", ["Metronome:ApiKey"] = "k" });

        DocsSamples.AddToWebApp(builder);
        await using var app = builder.Build();

        Assert.IsType<MetronomeClient>(app.Services.GetRequiredService<IMetronome>());
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MetronomeClientOptions>>().Value;
        Assert.Equal((new Uri("http://127.0.0.1:5999"), "k"), (options.BaseAddress, options.ApiKey));
    }

    private static string Normalize(string text) =>
        string.Join("\n", text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));

    private static List<(int Line, List<string> Lines)> CSharpBlocks(string[] lines)
    {
        var blocks = new List<(int, List<string>)>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp") continue;
            var start = i + 1;
            var block = new List<string>();
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++) block.Add(lines[i]);
            blocks.Add((start + 1, block));
        }
        return blocks;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "docs", "sdk.md"))) return dir.FullName;
        throw new InvalidOperationException("docs/sdk.md not found above " + AppContext.BaseDirectory);
    }
}
