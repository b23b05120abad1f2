using Xunit.Abstractions;
using System.Diagnostics;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    /// <summary>Where measurements are written (set by a subclass that has xunit's output helper).</summary>
    protected ITestOutputHelper? Output { get; init; }

    [Fact]
    public async Task Claim_of_a_due_job_records_one_run_per_slot()
    {
        var job = await CreateAsync(NewJob("tick", overlap: OverlapPolicy.Allow));

        var result = await ClaimAsync(At(3.5), job.Id);

        Assert.Equal([1L, 2L, 3L], result.Runs.Select(r => r.Run.Slot));
        Assert.Equal([At(1), At(2), At(3)], result.Runs.Select(r => r.RunAt));
        Assert.All(result.Runs, r =>
        {
            Assert.Equal(RunStatus.Running, r.Run.Status);
            Assert.Equal(1, r.Run.Attempt);
            Assert.Equal(Node, r.Run.Node);
            Assert.Equal(job.Id, r.Run.JobId);
            Assert.Equal("tick", r.Run.JobTag);
            Assert.Equal(job.Name, r.JobName);
            Assert.Equal("action", r.EventType);
            Assert.Equal("ping", r.EventTag);
            Assert.Equal(job.InputJson, r.InputJson);
            Assert.Equal(job.TimeoutMs, r.TimeoutMs);
            Assert.Equal(job.Retries, r.Retries);
            Assert.Equal(r.RunAt, r.Run.ScheduledAt);
        });
        var stored = await RunsOfAsync("tick");
        Assert.Equal([3L, 2L, 1L], stored.Select(r => r.Slot));
        Assert.Equal(result.Runs.Select(r => r.Run).Reverse(), stored);
    }

    [Fact]
    public async Task Claim_advances_the_job_and_returns_its_next_due_time()
    {
        var job = await CreateAsync(NewJob("adv", overlap: OverlapPolicy.Allow));

        var result = await ClaimAsync(At(2), job.Id);

        Assert.Equal([new ScheduleEntry(job.Id, At(3))], result.Schedule);
        var reloaded = await ReloadAsync(job);
        Assert.Equal(3, reloaded.NextSlot);
        Assert.Equal(At(3), reloaded.NextDueAt);
        Assert.Equal(2, reloaded.ExecutionsDone);
        Assert.Equal(2, reloaded.InFlight);
    }

    [Fact]
    public async Task Claim_of_a_job_not_yet_due_fires_nothing()
    {
        var job = await CreateAsync(NewJob("later"));

        var result = await ClaimAsync(At(0.999), job.Id);

        Assert.Empty(result.Runs);
        Assert.Equal([new ScheduleEntry(job.Id, At(1))], result.Schedule);
        Assert.Empty(await RunsOfAsync("later"));
        Assert.Equal(job, await ReloadAsync(job));
    }

    [Fact]
    public async Task Claim_of_paused_completed_or_deleted_jobs_schedules_nothing()
    {
        var paused = await CreateAsync(NewJob("p") with { Status = JobStatus.Paused });
        var completed = await CreateAsync(NewJob("c") with { Status = JobStatus.Completed });

        var result = await ClaimAsync(At(5), paused.Id, completed.Id, 999_999);

        Assert.Empty(result.Runs);
        Assert.Equal([new(paused.Id, null), new(completed.Id, null), new ScheduleEntry(999_999, null)], result.Schedule);
    }

    [Fact]
    public async Task Slots_of_a_job_behind_its_grid_are_one_skipped_run_and_the_latest_fires_with_overlap_skip()
    {
        var job = await CreateAsync(NewJob("skippy", overlap: OverlapPolicy.Skip));

        var result = await ClaimAsync(At(3), job.Id);

        Assert.Equal([3L], result.Runs.Select(r => r.Run.Slot));
        var stored = await RunsOfAsync("skippy");
        Assert.Equal([(3L, RunStatus.Running, 0L), (1L, RunStatus.Skipped, 2L)], stored.Select(r => (r.Slot, r.Status, r.SkippedCount)));
        var skipped = stored[1];
        Assert.Equal(At(1), skipped.ScheduledAt); // the first slot it stands for
        Assert.Equal(At(3), skipped.FinishedAt);
        var reloaded = await ReloadAsync(job);
        Assert.Equal(1, reloaded.ExecutionsDone); // skipped slots do not count
        Assert.Equal(4, reloaded.NextSlot);
        Assert.Equal((skipped.Id, 3L), (reloaded.SkipRunId, reloaded.SkipRunNextSlot));
    }

    [Fact]
    public async Task Skipped_slots_of_a_later_claim_extend_the_open_skipped_run_without_a_new_row()
    {
        var job = await CreateAsync(NewJob("streak", overlap: OverlapPolicy.Skip));
        await ClaimAsync(At(1), job.Id); // slot 1 fires and keeps running
        await ClaimAsync(At(2), job.Id); // slot 2 is skipped

        await ClaimAsync(At(5), job.Id); // slots 3 to 5 are skipped too

        var stored = await RunsOfAsync("streak");
        Assert.Equal([(2L, RunStatus.Skipped, 4L), (1L, RunStatus.Running, 0L)], stored.Select(r => (r.Slot, r.Status, r.SkippedCount)));
        var run = await Jobs.GetRunAsync(job.Product, stored[0].Id, default);
        Assert.Equal((4L, At(2), At(5)), (run!.SkippedCount, run.ScheduledAt, run.FinishedAt));
        Assert.Equal(1, (await ReloadAsync(job)).ExecutionsDone);
    }

    [Fact]
    public async Task Slot_due_while_the_previous_execution_runs_waits_with_overlap_queue()
    {
        var job = await CreateAsync(NewJob("queued", overlap: OverlapPolicy.Queue));

        var first = await ClaimAsync(At(3.5), job.Id);

        Assert.Equal([1L], first.Runs.Select(r => r.Run.Slot));
        Assert.Equal([new ScheduleEntry(job.Id, null)], first.Schedule); // blocked: out of the due queue until released
        Assert.Single(await RunsOfAsync("queued"));

        var released = await Jobs.CompleteRunsAsync([Succeeded(first.Runs[0], At(1), At(3.6))], default);
        Assert.Equal([new ScheduleEntry(job.Id, At(2))], released);

        var second = await ClaimAsync(At(3.6), job.Id);
        Assert.Equal([2L], second.Runs.Select(r => r.Run.Slot));
        Assert.Equal([new ScheduleEntry(job.Id, null)], second.Schedule);
    }

    [Fact]
    public async Task Job_with_three_executions_claimed_repeatedly_fires_exactly_three_runs()
    {
        var job = await CreateAsync(NewJob("three", executions: 3, overlap: OverlapPolicy.Allow));

        var fired = new List<ClaimedRun>();
        ClaimResult last = null!;
        for (int second = 1; second <= 10; second++)
        {
            last = await ClaimAsync(At(second), job.Id);
            fired.AddRange(last.Runs);
        }

        Assert.Equal([1L, 2L, 3L], fired.Select(r => r.Run.Slot));
        Assert.Equal(3, (await RunsOfAsync("three")).Count);
        Assert.Equal([new ScheduleEntry(job.Id, null)], last.Schedule);
        var reloaded = await ReloadAsync(job);
        Assert.Equal(3, reloaded.ExecutionsDone);
        Assert.Equal(JobStatus.Active, reloaded.Status); // still running: completes when the last one finishes

        await Jobs.CompleteRunsAsync(fired.Select(r => Succeeded(r, r.RunAt, At(11))).ToList(), default);
        Assert.Equal(JobStatus.Completed, (await ReloadAsync(job)).Status);
    }

    [Fact]
    public async Task Missed_slots_beyond_the_misfire_threshold_fire_once()
    {
        var job = await CreateAsync(NewJob("late", misfire: MisfirePolicy.FireOnce));

        var result = await ClaimAsync(At(1) + Threshold + TimeSpan.FromSeconds(10.5), job.Id);

        Assert.Single(result.Runs);
        Assert.Equal(At(1) + Threshold + TimeSpan.FromSeconds(10), result.Runs[0].RunAt);
    }

    [Fact]
    public async Task The_database_rejects_a_second_run_for_the_same_slot()
    {
        var job = await CreateAsync(NewJob("uniq"));
        var claimed = (await ClaimAsync(At(1), job.Id)).Runs[0].Run;

        var duplicate = claimed with { Id = Guid.CreateVersion7(At(1)).ToString("N") };

        await Assert.ThrowsAnyAsync<Exception>(() => InsertRunRowAsync(duplicate));
        await InsertRunRowAsync(duplicate with { Slot = 0 }); // triggers (slot 0) are not constrained
        await InsertRunRowAsync(duplicate with { Id = Guid.CreateVersion7(At(2)).ToString("N"), Slot = 0 });
        Assert.Equal(3, (await RunsOfAsync("uniq")).Count);
    }

    [Fact]
    public async Task Claim_of_a_thousand_jobs_records_every_slot_in_one_call()
    {
        const int jobCount = 1000, slotsPerJob = 20;
        var ids = new List<long>();
        for (int i = 0; i < jobCount; i++)
            ids.Add((await CreateAsync(NewJob($"bulk-{i:D4}", overlap: OverlapPolicy.Allow))).Id);

        var watch = Stopwatch.StartNew();
        var result = await Jobs.ClaimDueSlotsAsync(new ClaimParams(Node, At(slotsPerJob), At(slotsPerJob), ids, Threshold), default);
        watch.Stop();

        Assert.Equal(jobCount * slotsPerJob, result.Runs.Count);
        Assert.Equal(jobCount * slotsPerJob, result.Runs.Select(r => (r.Run.JobId, r.Run.Slot)).Distinct().Count());
        Assert.All(result.Schedule, e => Assert.Equal(At(slotsPerJob + 1), e.DueAt));
        Output?.WriteLine($"claimed {result.Runs.Count} slots of {jobCount} jobs in {watch.ElapsedMilliseconds} ms " +
            $"({result.Runs.Count / watch.Elapsed.TotalSeconds:F0} slots/s)");
    }
}
