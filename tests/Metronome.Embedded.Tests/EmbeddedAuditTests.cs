using Metronome.Contracts;
using Metronome.Core.Hosting;
using Metronome.Events;
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Metronome.Embedded.Tests;

/// <summary>An embedded host audits too: its changes are in the store's log, with the documented actor <c>admin</c>.</summary>
public sealed class EmbeddedAuditTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("metronome-embedded-audit-").FullName;

    [Fact]
    public async Task Changes_made_through_the_embedded_IMetronome_are_in_its_audit_log_as_admin()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMetronome(o =>
        {
            o.UseSqlite(Path.Combine(_directory, "jobs.db"));
            o.AddFunction("noop", _ => null);
        });
        builder.Services.AddMetronomeEvents();
        using var host = builder.Build();
        await host.StartAsync(deadline.Token);
        var metronome = host.Services.GetRequiredService<IMetronome>();
        await metronome.Products.CreateAsync(new Product { Tag = "shop", Name = "Shop" }, deadline.Token);
        var shop = metronome.Product("shop");
        await shop.Events.CreateAsync(new ProductEvent
        {
            Type = JobEventTypes.Function, Tag = "noop", Name = "Noop",
            Definition = System.Text.Json.JsonSerializer.SerializeToElement(new { language = "dotnet", handler = "noop" }),
        }, deadline.Token);
        await shop.Jobs.CreateAsync(new ProductJob { Name = "J", Tag = "j", EventType = "function", EventTag = "noop", Executions = 0, Intervals = 3_600_000 }, deadline.Token);
        await shop.Jobs.PauseAsync("j", deadline.Token);

        var log = await shop.AuditAsync(ct: deadline.Token);
        await host.StopAsync(deadline.Token);

        Assert.Equal(["job.pause", "job.create", "event.create", "product.create"], log.Items.Select(e => e.Action));
        Assert.All(log.Items, e => Assert.Equal("admin", e.Actor));
        Assert.Equal("paused", log.Items[0].Changes["status"].New!.Value.GetString());
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
