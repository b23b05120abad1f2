using System.Net;
using Metronome.Client.Tests.Infrastructure;
using Metronome.Contracts;

namespace Metronome.Client.Tests;

/// <summary><c>IProductJobs.ApplyAsync</c> (declarative apply) against a real server process.</summary>
[Collection(ServerCollection.Name)]
public sealed class ApplyClientTests(ServerFixture fixture)
{
    private static ProductJob Job(string tag, long executions = 0) => new()
    {
        Name = "A job", Tag = tag, EventType = JobEventTypes.Function, EventTag = "sum", Executions = executions, Intervals = 3_600_000,
    };

    [Fact]
    public async Task Apply_creates_updates_and_prunes_and_applying_twice_changes_nothing()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;

        var created = await jobs.ApplyAsync([Job("a"), Job("b", executions: 2), Job("c")]);
        Assert.Equal(["a", "b", "c"], created.Created);
        Assert.False(created.DryRun);

        var again = await jobs.ApplyAsync([Job("a"), Job("b", executions: 2), Job("c")]);
        Assert.False(again.HasChanges);
        Assert.Equal(["a", "b", "c"], again.Unchanged);

        var preview = await jobs.ApplyAsync([Job("a"), Job("b", executions: 3)], prune: true, dryRun: true);
        Assert.True(preview.DryRun);
        Assert.Equal(["c"], preview.Deleted);
        Assert.Equal(2, (await jobs.FetchAsync("b")).Executions);

        var applied = await jobs.ApplyAsync([Job("a"), Job("b", executions: 3)], prune: true);
        var update = Assert.Single(applied.Updated);
        Assert.Equal("b", update.Tag);
        Assert.Equal(2, update.Changes["executions"].Old!.Value.GetInt64());
        Assert.Equal(3, update.Changes["executions"].New!.Value.GetInt64());
        Assert.Equal(["c"], applied.Deleted);
        Assert.Equal(["a", "b"], (await jobs.FetchAllAsync()).Select(j => j.Tag));
    }

    [Fact]
    public async Task Apply_with_an_invalid_job_throws_400_keyed_by_its_index_and_changes_nothing()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        var bad = Job("bad");
        bad.Intervals = 0;

        var e = await Assert.ThrowsAsync<MetronomeApiException>(() => jobs.ApplyAsync([Job("good"), bad]));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.True(e.Errors.ContainsKey("jobs[1].intervals"), string.Join(", ", e.Errors.Keys));
        Assert.Empty(await jobs.FetchAllAsync());
    }
}
