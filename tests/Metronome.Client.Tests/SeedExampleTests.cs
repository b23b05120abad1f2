using Metronome.Client.Tests.Infrastructure;
using Metronome.Contracts;
using Metronome.Testing.Processes;

namespace Metronome.Client.Tests;

/// <summary>The seed's jobs example, written with the SDK exactly as the issue gives it, against a real server process.</summary>
[Collection(ServerCollection.Name)]
public sealed class SeedExampleTests(ServerFixture fixture)
{
    [Fact]
    public async Task Seed_example_creates_updates_fetches_lists_and_deletes_a_job()
    {
        var shop = await fixture.CreateProductAsync();
        var key = ServerProcess.AdminKey;
        var baseAddress = fixture.Server.BaseAddress;

        using var client = new MetronomeClient(new MetronomeClientOptions { BaseAddress = baseAddress, ApiKey = key });
        var jobs = client.Product(shop).Jobs;
        await jobs.CreateAsync(new ProductJob { Name = "Example Job", Tag = "example_job", EventType = JobEventTypes.Action,
                                                EventTag = "action_tag", Executions = 5, Intervals = 60000 });
        await jobs.UpdateAsync("example_job", new ProductJobUpdate { Name = "Updated Job Name", Executions = 10, Intervals = 120000 });
        ProductJob job = await jobs.FetchAsync("example_job");
        IReadOnlyList<ProductJob> all = await jobs.FetchAllAsync();

        Assert.Equal("Updated Job Name", job.Name);
        Assert.Equal(10, job.Executions);
        Assert.Equal(120000, job.Intervals);
        Assert.Equal(JobEventTypes.Action, job.EventType);
        Assert.Equal("action_tag", job.EventTag);
        Assert.Equal(JobStatuses.Active, job.Status);
        Assert.Equal(["example_job"], all.Select(j => j.Tag));

        await jobs.DeleteAsync("example_job");
        var gone = await Assert.ThrowsAsync<MetronomeApiException>(() => jobs.FetchAsync("example_job"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Empty(await jobs.FetchAllAsync());
    }

    [Fact]
    public void JobEventTypes_offers_the_seeds_five_types_in_wire_form()
    {
        Assert.Equal(
            ["action", "notification", "database_action", "function", "messagebroker"],
            [JobEventTypes.Action, JobEventTypes.Notification, JobEventTypes.DatabaseAction, JobEventTypes.Function, JobEventTypes.MessageBroker]);
    }
}
