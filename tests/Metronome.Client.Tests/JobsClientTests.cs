using Metronome.Client.Tests.Infrastructure;
using Metronome.Contracts;

namespace Metronome.Client.Tests;

/// <summary>Every jobs call of the SDK against a real server process.</summary>
[Collection(ServerCollection.Name)]
public sealed class JobsClientTests(ServerFixture fixture)
{
    // overlap "allow": a slow first execution (script engine warm-up) must not turn a later slot into a skipped run.
    private static ProductJob Job(string tag, long executions = 0, long intervals = 3_600_000, string? startAt = null) => new()
    {
        Name = "A job", Tag = tag, EventType = JobEventTypes.Function, EventTag = "sum", Executions = executions, Intervals = intervals, StartAt = startAt,
        Overlap = "allow",
    };

    private static ProductJob WithOverlap(ProductJob job, string overlap)
    {
        job.Overlap = overlap;
        return job;
    }

    [Fact]
    public async Task Create_returns_the_job_with_server_filled_fields()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;

        var created = await jobs.CreateAsync(WithOverlap(Job("nightly", executions: 3), "queue"));

        Assert.Equal("nightly", created.Tag);
        Assert.Equal("queue", created.Overlap);
        Assert.Equal(JobStatuses.Active, created.Status);
        Assert.Equal(0, created.ExecutionsDone);
        Assert.NotNull(created.NextRunAt);
        Assert.NotNull(created.CreatedAt);
    }

    [Fact]
    public async Task Create_accepts_the_seeds_upper_case_event_type()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        var job = Job("upper");
        job.EventType = "FUNCTION";

        Assert.Equal(JobEventTypes.Function, (await jobs.CreateAsync(job)).EventType);
    }

    [Fact]
    public async Task Update_changes_only_the_given_fields()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        await jobs.CreateAsync(Job("j", executions: 4));

        var updated = await jobs.UpdateAsync("j", new ProductJobUpdate { Name = "Renamed" });

        Assert.Equal("Renamed", updated.Name);
        Assert.Equal(4, updated.Executions);
        Assert.Equal(3_600_000, updated.Intervals);
    }

    [Fact]
    public async Task List_pages_with_a_cursor_and_FetchAll_returns_every_page()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        foreach (var tag in (string[])["a", "b", "c"]) await jobs.CreateAsync(Job(tag));

        var first = await jobs.ListAsync(limit: 2);
        var second = await jobs.ListAsync(limit: 2, cursor: first.NextCursor);

        Assert.Equal(2, first.Items.Count);
        Assert.NotNull(first.NextCursor);
        Assert.Single(second.Items);
        Assert.Equal(["a", "b", "c"], (await jobs.FetchAllAsync()).Select(j => j.Tag).Order());
    }

    [Fact]
    public async Task List_filters_by_status()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        await jobs.CreateAsync(Job("running"));
        await jobs.CreateAsync(Job("stopped"));
        await jobs.PauseAsync("stopped");

        var paused = await jobs.ListAsync(status: JobStatuses.Paused);

        Assert.Equal(["stopped"], paused.Items.Select(j => j.Tag));
    }

    [Fact]
    public async Task Pause_and_resume_change_the_status()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        await jobs.CreateAsync(Job("j"));

        var paused = await jobs.PauseAsync("j");
        var resumed = await jobs.ResumeAsync("j");

        Assert.Equal(JobStatuses.Paused, paused.Status);
        Assert.Null(paused.NextRunAt);
        Assert.Equal(JobStatuses.Active, resumed.Status);
        Assert.NotNull(resumed.NextRunAt);
    }

    [Fact]
    public async Task Trigger_starts_a_run_that_can_be_fetched_by_id()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        await jobs.CreateAsync(Job("j"));

        var run = await jobs.TriggerAsync("j");
        var finished = await Eventually.WaitAsync(() => jobs.FetchRunAsync(run.Id!), r => r.Status == RunStatuses.Succeeded);

        Assert.Equal(0, run.Slot);
        Assert.Equal("j", finished.JobTag);
        Assert.Equal(RunStatuses.Succeeded, finished.Status);
        Assert.Equal(0, finished.Output!.Value.GetProperty("slot").GetInt32());
    }

    [Fact]
    public async Task Runs_enumerates_every_run_newest_first_across_pages()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        await jobs.CreateAsync(Job("j", executions: 3, intervals: 100, startAt: "now"));
        await Eventually.WaitAsync(() => jobs.FetchAsync("j"), j => j.Status == JobStatuses.Completed);

        var runs = new List<JobRun>();
        await foreach (var run in jobs.RunsAsync("j", pageSize: 2)) runs.Add(run);
        var firstPage = await jobs.ListRunsAsync("j", limit: 2);

        Assert.Equal([3L, 2L, 1L], runs.Select(r => r.Slot));
        Assert.All(runs, r => Assert.Equal(RunStatuses.Succeeded, r.Status));
        Assert.Equal(2, firstPage.Items.Count);
        Assert.NotNull(firstPage.NextCursor);
        Assert.Equal(3, (await jobs.FetchAsync("j")).ExecutionsDone);
    }

    [Fact]
    public async Task Runs_filters_by_status_and_stops_fetching_when_the_caller_stops()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        await jobs.CreateAsync(Job("j", executions: 2, intervals: 100, startAt: "now"));
        await Eventually.WaitAsync(() => jobs.FetchAsync("j"), j => j.Status == JobStatuses.Completed);

        var failed = new List<JobRun>();
        await foreach (var run in jobs.RunsAsync("j", status: RunStatuses.Failed)) failed.Add(run);
        JobRun? newest = null;
        await foreach (var run in jobs.RunsAsync("j", pageSize: 1)) { newest = run; break; }

        Assert.Empty(failed);
        Assert.Equal(2, newest!.Slot);
    }

    [Fact]
    public async Task Delete_removes_the_job()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        await jobs.CreateAsync(Job("j"));

        await jobs.DeleteAsync("j");

        Assert.Empty(await jobs.FetchAllAsync());
    }
}

