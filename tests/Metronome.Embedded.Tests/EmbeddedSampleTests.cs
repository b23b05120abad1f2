using System.Net;
using System.Text.Json;
using Metronome.Client;
using Metronome.Contracts;
using Metronome.Core.Hosting;
using Metronome.Samples;
using Metronome.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Metronome.Embedded.Tests;

/// <summary>The embedded sample: a generic host with <c>AddMetronome(o =&gt; o.UseSqlite(...))</c> and a .NET function.</summary>
public sealed class EmbeddedSampleTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("metronome-embedded-tests-").FullName;
    private readonly ReportLog _reports = new();
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = EmbeddedSample.CreateBuilder(Path.Combine(_directory, "jobs.db"), _reports).Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private IMetronome Metronome => _host.Services.GetRequiredService<IMetronome>();

    [Fact]
    public async Task A_job_calls_the_registered_dotnet_function_exactly_three_times_then_completes()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _host.Services.GetRequiredService<ReportJobs>().ScheduleAsync("shop", EmbeddedSample.ReportEvent(), "nightly", executions: 3, intervalMs: 150, deadline.Token);

        await _reports.WhenCalledAsync(3, deadline.Token);
        var jobs = Metronome.Product("shop").Jobs;
        var job = await Poll(() => jobs.FetchAsync("nightly"), j => j.Status == JobStatuses.Completed, deadline.Token);
        var runs = new List<JobRun>();
        await foreach (var run in jobs.RunsAsync("nightly", ct: deadline.Token)) runs.Add(run);

        Assert.Equal(3, job.ExecutionsDone);
        Assert.Equal([1L, 2L, 3L], _reports.Calls.Select(c => c.Slot));
        Assert.Equal("shop/nightly/2", _reports.Calls[1].IdempotencyKey);
        Assert.Equal([3L, 2L, 1L], runs.Select(r => r.Slot));
        Assert.All(runs, r => Assert.Equal(RunStatuses.Succeeded, r.Status));
        Assert.Equal("report #1", runs[^1].Output!.Value.GetProperty("report").GetString());
        Assert.Equal(3, _reports.Calls.Count);
    }

    [Fact]
    public async Task Trigger_pause_resume_and_delete_work_in_process()
    {
        await _host.Services.GetRequiredService<ReportJobs>().ScheduleAsync("shop", EmbeddedSample.ReportEvent(), "hourly", executions: 0, intervalMs: 3_600_000);
        var jobs = Metronome.Product("shop").Jobs;

        var paused = await jobs.PauseAsync("hourly");
        var run = await jobs.TriggerAsync("hourly");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var finished = await Poll(() => jobs.FetchRunAsync(run.Id!), r => r.Status == RunStatuses.Succeeded, deadline.Token);
        var resumed = await jobs.ResumeAsync("hourly");
        await jobs.DeleteAsync("hourly");

        Assert.Equal(JobStatuses.Paused, paused.Status);
        Assert.Equal(0, run.Slot);
        Assert.Equal(JobStatuses.Active, resumed.Status);
        Assert.Equal("report #0", finished.Output!.Value.GetProperty("report").GetString());
        Assert.Contains(_reports.Calls, c => c.Slot == 0 && c.RunId == run.Id);
        Assert.Empty(await jobs.FetchAllAsync());
    }

    [Fact]
    public async Task In_process_failures_are_the_same_MetronomeApiException_the_server_answers()
    {
        await Metronome.Products.CreateAsync(new Product { Tag = "shop", Name = "Shop" });
        await Metronome.Product("shop").Events.CreateAsync(EmbeddedSample.ReportEvent());
        var jobs = Metronome.Product("shop").Jobs;
        var job = new ProductJob { Name = "J", Tag = "j", EventType = "function", EventTag = "report", Executions = 1, Intervals = 3_600_000 };
        await jobs.CreateAsync(job);

        var missing = await Assert.ThrowsAsync<MetronomeApiException>(() => jobs.FetchAsync("nope"));
        var taken = await Assert.ThrowsAsync<MetronomeApiException>(() => jobs.CreateAsync(job));
        var invalid = await Assert.ThrowsAsync<MetronomeApiException>(() => jobs.UpdateAsync("j", new ProductJobUpdate { Intervals = 0, EventType = "teleport" }));
        var unregistered = await Assert.ThrowsAsync<MetronomeApiException>(() => Metronome.Product("shop").Events.CreateAsync(new ProductEvent
        {
            Type = "function", Tag = "ghost", Name = "Ghost", Definition = JsonSerializer.SerializeToElement(new { language = "dotnet", handler = "ghost" }),
        }));

        Assert.Equal((HttpStatusCode.NotFound, "job 'nope' not found in product 'shop'"), (missing.StatusCode, missing.Detail));
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("intervals", invalid.Errors.Keys);
        Assert.Contains("event_type", invalid.Errors.Keys);
        Assert.Equal(HttpStatusCode.BadRequest, unregistered.StatusCode);
        Assert.Contains("definition.handler", unregistered.Errors.Keys);
    }

    [Fact]
    public async Task Storing_a_secret_without_a_protector_fails_with_a_message_saying_what_to_register()
    {
        await Metronome.Products.CreateAsync(new Product { Tag = "shop", Name = "Shop" });

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Metronome.Product("shop").Secrets.SetAsync("TOKEN", "value"));

        Assert.Contains("UseSecretProtector", e.Message);
    }

    [Fact]
    public async Task The_same_scheduling_code_runs_unchanged_against_the_embedded_engine_and_a_server()
    {
        var server = MetronomeServer.Build(["--urls=http://127.0.0.1:0"], b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["METRONOME_DATA"] = Path.Combine(_directory, "server"), ["METRONOME_ADMIN_KEY"] = "embedded-tests-admin-key-0123456789",
        }));
        await server.StartAsync();
        try
        {
            var address = new Uri(server.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
            using var remote = new MetronomeClient(new MetronomeClientOptions { BaseAddress = address, ApiKey = "embedded-tests-admin-key-0123456789" });
            var javascript = new ProductEvent
            {
                Type = "function", Tag = "report", Name = "Report",
                Definition = JsonSerializer.SerializeToElement(new { language = "javascript", code = "function handler(i, c) { return c.run.slot; }" }),
            };

            var embeddedJob = await new ReportJobs(Metronome).ScheduleAsync("shop", EmbeddedSample.ReportEvent(), "weekly", 0, 604_800_000);
            var remoteJob = await new ReportJobs(remote).ScheduleAsync("shop", javascript, "weekly", 0, 604_800_000);
            var embeddedAgain = await new ReportJobs(Metronome).ScheduleAsync("shop", EmbeddedSample.ReportEvent(), "weekly", 4, 86_400_000);
            var remoteAgain = await new ReportJobs(remote).ScheduleAsync("shop", javascript, "weekly", 4, 86_400_000);

            foreach (var (a, b) in new[] { (embeddedJob, remoteJob), (embeddedAgain, remoteAgain) })
                Assert.Equal((a.Tag, a.EventType, a.EventTag, a.Executions, a.Intervals, a.Status), (b.Tag, b.EventType, b.EventTag, b.Executions, b.Intervals, b.Status));
            Assert.Equal(4, remoteAgain.Executions);
        }
        finally
        {
            await server.StopAsync();
            await server.DisposeAsync();
        }
    }

    [Fact]
    public void AddMetronome_keeps_accepting_an_options_callback()
    {
        var services = new ServiceCollection();

        services.AddMetronome(o => o.NodeName = "node-a");

        using var provider = services.BuildServiceProvider();
        Assert.Equal("node-a", provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<MetronomeOptions>>().Value.NodeName);
    }

    private static async Task<T> Poll<T>(Func<Task<T>> probe, Func<T, bool> done, CancellationToken ct)
    {
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            await Task.Delay(50, ct);
        }
    }
}
