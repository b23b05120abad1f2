using Metronome.Core.Hosting;
using Metronome.Events;
using Metronome.Events.Function;
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Metronome.Embedded.Tests;

/// <summary>An embedding host gets the server's checks at start, with messages naming the options property.</summary>
public sealed class EmbeddedOptionsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("metronome-embedded-options-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Invalid_engine_options_stop_the_host_at_start_naming_every_bad_property()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMetronome(o => o.UseSqlite(Path.Combine(_directory, "jobs.db")).Configure(m =>
        {
            m.MinIntervalMs = 0;
            m.MisfireThreshold = TimeSpan.FromSeconds(-1);
        }));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("MetronomeOptions.MinIntervalMs must be between 1 and 31622400000, not '0'.", error.Failures);
        Assert.Contains("MetronomeOptions.MisfireThreshold must not be negative, not '-00:00:01'.", error.Failures);
    }

    [Fact]
    public async Task Invalid_egress_options_stop_the_host_at_start_naming_the_property_and_the_entry()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMetronome(o => o.UseSqlite(Path.Combine(_directory, "jobs.db")));
        builder.Services.AddMetronomeEvents(o => o.EgressDeny.Add("10.0.0.0/99"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var failure = Assert.Single(Failures(error));
        Assert.StartsWith("EventsOptions.EgressDeny must list CIDRs", failure, StringComparison.Ordinal);
        Assert.EndsWith("not '10.0.0.0/99'.", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_function_pool_options_stop_the_host_at_start_naming_the_property()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMetronome(o => o.UseSqlite(Path.Combine(_directory, "jobs.db")));
        builder.Services.AddMetronomeEvents();
        builder.Services.Configure<FunctionPoolOptions>(o => o.WorkerHeapLimitMb = 10);
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Equal(["FunctionPoolOptions.WorkerHeapLimitMb must be at least 64, not '10'."], Failures(error));
    }

    private static IEnumerable<string> Failures(Exception error) => error switch
    {
        OptionsValidationException e => e.Failures,
        AggregateException e => e.InnerExceptions.SelectMany(Failures),
        _ => throw error,
    };
}
