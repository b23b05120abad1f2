using Metronome.Core;
using Metronome.Core.Jobs;
using Metronome.Core.Storage;

namespace Metronome.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task Bulk_create_inserts_every_job_in_order_with_distinct_ids()
    {
        var jobs = Enumerable.Range(0, 50).Select(i => NewJob($"bulk-{i}", executions: i)).ToList();

        var results = await Jobs.CreateJobsAsync(jobs, default);

        Assert.Equal(jobs.Count, results.Count);
        for (var i = 0; i < jobs.Count; i++)
        {
            var created = Assert.IsType<Job>(results[i].Created);
            Assert.Null(results[i].Conflict);
            Assert.Equal(jobs[i] with { Id = created.Id }, created);
            Assert.Equal(created, await ReloadAsync(created));
        }
        Assert.Equal(jobs.Count, results.Select(r => r.Created!.Id).Distinct().Count());
    }

    [Fact]
    public async Task Bulk_create_conflicts_only_the_taken_tags_and_keeps_the_others()
    {
        var existing = await CreateAsync(NewJob("taken"));

        var results = await Jobs.CreateJobsAsync([NewJob("before"), NewJob("taken", executions: 7), NewJob("after"), NewJob("taken", product: "other")], default);

        Assert.NotNull(results[0].Created);
        Assert.Null(results[1].Created);
        Assert.Contains("taken", Assert.IsType<ConflictException>(results[1].Conflict).Message);
        Assert.NotNull(results[2].Created);
        Assert.NotNull(results[3].Created); // the same tag in another product is another job
        Assert.Equal(existing, await ReloadAsync(existing));
        Assert.NotNull(await Jobs.GetJobAsync(Product, "before", default));
        Assert.NotNull(await Jobs.GetJobAsync(Product, "after", default));
    }

    [Fact]
    public async Task Bulk_create_with_a_tag_repeated_in_the_list_creates_the_first_and_conflicts_the_repeat()
    {
        var results = await Jobs.CreateJobsAsync([NewJob("twice", executions: 1), NewJob("once"), NewJob("twice", executions: 2)], default);

        Assert.Equal(1, results[0].Created!.Executions);
        Assert.NotNull(results[1].Created);
        Assert.Null(results[2].Created);
        Assert.IsType<ConflictException>(results[2].Conflict);
        Assert.Equal(1, (await Jobs.GetJobAsync(Product, "twice", default))!.Executions);
        Assert.Equal(2, (await Jobs.ListJobsAsync(new JobQuery(Product, null, 100, null), default)).Items.Count);
    }

    [Fact]
    public async Task Bulk_created_jobs_are_scheduled_like_single_creates()
    {
        var results = await Jobs.CreateJobsAsync([NewJob("a", intervalMs: 1000), NewJob("b", intervalMs: 2000)], default);

        var schedule = await Jobs.LoadScheduleAsync(default);

        Assert.Contains(new ScheduleEntry(results[0].Created!.Id, At(1)), schedule);
        Assert.Contains(new ScheduleEntry(results[1].Created!.Id, At(2)), schedule);
    }

    [Fact]
    public async Task Bulk_create_of_nothing_returns_nothing()
    {
        Assert.Empty(await Jobs.CreateJobsAsync([], default));
    }
}
