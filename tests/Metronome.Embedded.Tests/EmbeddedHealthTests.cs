using Metronome.Core.Hosting;
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Metronome.Embedded.Tests;

/// <summary>An embedding host registers the server's health checks with <c>AddHealthChecks().AddMetronome()</c>.</summary>
public sealed class EmbeddedHealthTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("metronome-embedded-health-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task An_embedded_engine_on_sqlite_is_live_and_ready_by_tag()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMetronome(o => o.UseSqlite(Path.Combine(_directory, "jobs.db")));
        builder.Services.AddHealthChecks().AddMetronome();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var health = host.Services.GetRequiredService<HealthCheckService>();

            var live = await health.CheckHealthAsync(c => c.Tags.Contains(MetronomeHealthChecks.LiveTag));
            var ready = await health.CheckHealthAsync(c => c.Tags.Contains(MetronomeHealthChecks.ReadyTag));

            Assert.Equal(["metronome_engine"], live.Entries.Keys);
            Assert.Equal(HealthStatus.Healthy, live.Status);
            Assert.Equal(["metronome_store", "metronome_cluster"], ready.Entries.Keys);
            Assert.True(ready.Status == HealthStatus.Healthy, string.Join("; ", ready.Entries.Select(e => $"{e.Key}: {e.Value.Description}")));
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
