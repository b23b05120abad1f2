using Metronome.Core;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task Created_job_round_trips_every_field()
    {
        var job = NewJob("full", executions: 5, intervalMs: 2500, overlap: OverlapPolicy.Queue, misfire: MisfirePolicy.Skip, maxAttempts: 3) with
        {
            StartAt = At(10),
            EndAt = At(3600),
            ExecutionsDone = 1,
            NextSlot = 2,
            NextDueAt = At(12.5),
            InFlight = 1,
            LastRunAt = At(10.25),
            LastRunStatus = "failed",
            UpdatedAt = At(11),
        };

        var created = await CreateAsync(job);

        Assert.True(created.Id > 0);
        Assert.Equal(job with { Id = created.Id }, created);
        Assert.Equal(created, await ReloadAsync(created));
        Assert.Null(await Jobs.GetJobAsync(Product, "missing", default));
        Assert.Null(await Jobs.GetJobAsync("other", "full", default));
    }

    [Fact]
    public async Task Creating_a_job_with_a_taken_tag_conflicts_within_its_product_only()
    {
        await CreateAsync(NewJob("dup"));

        var e = await Assert.ThrowsAsync<ConflictException>(() => CreateAsync(NewJob("dup")));

        Assert.Equal("job 'dup' already exists in product 'shop'", e.Message);
        await CreateAsync(NewJob("dup", product: "elsewhere"));
    }

    [Fact]
    public async Task Jobs_are_listed_by_id_in_pages_with_a_status_filter()
    {
        var created = new List<Job>();
        for (int i = 0; i < 5; i++)
            created.Add(await CreateAsync(NewJob($"j{i}") with { Status = i % 2 == 0 ? JobStatus.Active : JobStatus.Paused }));
        await CreateAsync(NewJob("foreign", product: "elsewhere"));

        var first = await Jobs.ListJobsAsync(new JobQuery(Product, null, 2, null), default);
        var second = await Jobs.ListJobsAsync(new JobQuery(Product, null, 2, first.NextCursor), default);
        var third = await Jobs.ListJobsAsync(new JobQuery(Product, null, 2, second.NextCursor), default);
        var paused = await Jobs.ListJobsAsync(new JobQuery(Product, JobStatus.Paused, 10, null), default);

        Assert.Equal(["j0", "j1"], first.Items.Select(j => j.Tag));
        Assert.Equal(["j2", "j3"], second.Items.Select(j => j.Tag));
        Assert.Equal(["j4"], third.Items.Select(j => j.Tag));
        Assert.NotNull(first.NextCursor);
        Assert.Null(third.NextCursor);
        Assert.Equal(["j1", "j3"], paused.Items.Select(j => j.Tag));
        Assert.Null(paused.NextCursor);
        await Assert.ThrowsAsync<ValidationFailedException>(() => Jobs.ListJobsAsync(new JobQuery(Product, null, 2, "not-a-cursor"), default));
    }

    [Fact]
    public async Task Modify_applies_the_change_to_the_freshest_row()
    {
        var job = await CreateAsync(NewJob("mod", executions: 3));
        await ClaimAsync(At(1), job.Id); // the engine advanced the job since the caller read it

        var modified = await Jobs.ModifyJobAsync(Product, "mod", j => j with { Name = "Renamed", UpdatedAt = At(2) }, default);

        Assert.Equal("Renamed", modified.Name);
        Assert.Equal(1, modified.ExecutionsDone);
        Assert.Equal(2, modified.NextSlot);
        Assert.Equal(modified, await ReloadAsync(job));
    }

    [Fact]
    public async Task Modify_of_a_missing_job_throws_not_found()
    {
        var e = await Assert.ThrowsAsync<NotFoundException>(() => Jobs.ModifyJobAsync(Product, "ghost", j => j, default));
        Assert.Equal("job 'ghost' not found in product 'shop'", e.Message);
    }

    [Fact]
    public async Task Delete_returns_the_job_id_once_and_keeps_its_runs()
    {
        var job = await CreateAsync(NewJob("gone"));
        var claimed = await ClaimAsync(At(1), job.Id);

        Assert.Equal(job.Id, await Jobs.DeleteJobAsync(Product, "gone", default));
        Assert.Null(await Jobs.DeleteJobAsync(Product, "gone", default));
        Assert.Null(await Jobs.GetJobAsync(Product, "gone", default));
        Assert.Equal(claimed.Runs[0].Run.Id, (await Jobs.GetRunAsync(Product, claimed.Runs[0].Run.Id, default))!.Id);
    }

    [Fact]
    public async Task A_recreated_job_never_reuses_a_deleted_jobs_id()
    {
        var first = await CreateAsync(NewJob("again"));
        await Jobs.DeleteJobAsync(Product, "again", default);

        var second = await CreateAsync(NewJob("again"));

        Assert.True(second.Id > first.Id);
    }

    [Fact]
    public async Task Trigger_records_a_slot_zero_run_counted_in_executions()
    {
        var job = await CreateAsync(NewJob("trig", maxAttempts: 2));
        var runId = RunKeys.NewId(Time);

        var claimed = await Jobs.TriggerJobAsync(new TriggerParams(Product, "trig", Node, At(0.5), runId), default);

        Assert.Equal(runId, claimed.Run.Id);
        Assert.Equal(0, claimed.Run.Slot);
        Assert.Equal(1, claimed.Run.Attempt);
        Assert.Equal(RunStatus.Running, claimed.Run.Status);
        Assert.Equal(At(0.5), claimed.RunAt);
        Assert.Equal(job.Name, claimed.JobName);
        Assert.Equal(job.InputJson, claimed.InputJson);
        Assert.Equal(job.Retries, claimed.Retries);
        var reloaded = await ReloadAsync(job);
        Assert.Equal(1, reloaded.ExecutionsDone);
        Assert.Equal(1, reloaded.InFlight);
        Assert.Equal(1, reloaded.NextSlot);
        var run = await Jobs.GetRunAsync(Product, runId, default);
        Assert.Equal(claimed.Run, run);
    }

    [Fact]
    public async Task Two_triggers_of_one_job_both_record_runs()
    {
        var job = await CreateAsync(NewJob("twice"));

        await Jobs.TriggerJobAsync(new TriggerParams(Product, "twice", Node, At(0.1), RunKeys.NewId(Time)), default);
        Time.Advance(TimeSpan.FromMilliseconds(1));
        await Jobs.TriggerJobAsync(new TriggerParams(Product, "twice", Node, At(0.2), RunKeys.NewId(Time)), default);

        Assert.Equal(2, (await RunsOfAsync("twice")).Count);
        Assert.Equal(2, (await ReloadAsync(job)).ExecutionsDone);
    }

    [Fact]
    public async Task Trigger_of_a_missing_job_throws_not_found()
    {
        var e = await Assert.ThrowsAsync<NotFoundException>(() =>
            Jobs.TriggerJobAsync(new TriggerParams(Product, "ghost", Node, Start, RunKeys.NewId(Time)), default));
        Assert.Equal("job 'ghost' not found in product 'shop'", e.Message);
    }
}
