using Metronome.Client.Tests.Infrastructure;
using Metronome.Contracts;

namespace Metronome.Client.Tests;

/// <summary>The SDK's dashboard reads (stats, runs across jobs, secrets list, cluster nodes) against a real server process.</summary>
[Collection(ServerCollection.Name)]
public sealed class DashboardClientTests(ServerFixture fixture)
{
    private static ProductJob Job(string tag, string eventType, string eventTag) => new()
    {
        Name = "A job", Tag = tag, EventType = eventType, EventTag = eventTag, Executions = 0, Intervals = 3_600_000, StartAt = "2099-01-01T00:00:00Z",
    };

    private async Task<IProductApi> ProductWithOneSuccessAndOneFailureAsync()
    {
        var product = fixture.Admin.Product(await fixture.CreateProductAsync());
        await product.Jobs.CreateAsync(Job("ok", JobEventTypes.Function, "sum"));
        await product.Jobs.CreateAsync(Job("bad", JobEventTypes.Action, "action_tag")); // 127.0.0.1:9 refuses
        await product.Jobs.TriggerAsync("ok");
        await product.Jobs.TriggerAsync("bad");
        foreach (var tag in new[] { "ok", "bad" })
            await Eventually.WaitAsync(() => product.Jobs.FetchAsync(tag), j => j.LastRunStatus is not null && j.Running == false);
        return product;
    }

    [Fact]
    public async Task Stats_count_the_products_jobs_and_runs_per_minute()
    {
        var product = await ProductWithOneSuccessAndOneFailureAsync();

        var stats = await product.FetchStatsAsync(minutes: 5);

        Assert.Equal(2, stats.Jobs.Active);
        Assert.Equal((1L, 1L), (stats.Runs.Succeeded, stats.Runs.Failed));
        Assert.Equal(5, stats.Minutes.Count);
        Assert.Equal(2, stats.Minutes.Sum(m => m.Fires));
        Assert.Equal(1, stats.Minutes.Sum(m => m.Failures));
        var invalid = await Assert.ThrowsAsync<MetronomeApiException>(() => product.FetchStatsAsync(minutes: 0));
        Assert.Contains("minutes", invalid.Errors!.Keys);
    }

    [Fact]
    public async Task Product_runs_list_the_failures_across_jobs()
    {
        var product = await ProductWithOneSuccessAndOneFailureAsync();

        var failures = await product.Jobs.ListProductRunsAsync(status: "failed,timed_out,abandoned");
        var all = await product.Jobs.ListProductRunsAsync();
        var ofOk = await product.Jobs.ListProductRunsAsync(job: "ok");

        Assert.Equal("bad", Assert.Single(failures.Items).JobTag);
        Assert.Equal(["bad", "ok"], all.Items.Select(r => r.JobTag)); // newest first
        Assert.Equal("succeeded", Assert.Single(ofOk.Items).Status);
    }

    [Fact]
    public async Task Secrets_list_gives_names_only()
    {
        var secrets = fixture.Admin.Product(await fixture.CreateProductAsync()).Secrets;
        await secrets.SetAsync("TOKEN", "t-value");
        await secrets.SetAsync("API_KEY", "k-value");

        var listed = await secrets.ListAsync();

        Assert.Equal(["API_KEY", "TOKEN"], listed.Select(s => s.Name));
        Assert.All(listed, s => Assert.NotNull(s.UpdatedAt));
    }

    [Fact]
    public async Task Cluster_nodes_of_a_single_server_list_it_as_leader()
    {
        var nodes = await fixture.Admin.FetchClusterNodesAsync();

        var node = Assert.Single(nodes.Nodes);
        Assert.True(node.Leader && node.Present);
        Assert.Equal(node.Id, nodes.Leader);
    }
}
