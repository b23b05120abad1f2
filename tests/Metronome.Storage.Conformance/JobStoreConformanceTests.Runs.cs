using Metronome.Core;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task Final_completion_finishes_the_run_and_releases_the_job()
    {
        var job = await CreateAsync(NewJob("done"));
        var claimed = (await ClaimAsync(At(1), job.Id)).Runs[0];

        var released = await Jobs.CompleteRunsAsync([Succeeded(claimed, At(1.01), At(1.2))], default);

        Assert.Equal([new ScheduleEntry(job.Id, At(2))], released);
        var run = (await Jobs.GetRunAsync(Product, claimed.Run.Id, default))!;
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(At(1.01), run.StartedAt);
        Assert.Equal(At(1.2), run.FinishedAt);
        Assert.Equal(190, run.DurationMs);
        Assert.Equal("""{"ok":true}""", run.OutputJson);
        var reloaded = await ReloadAsync(job);
        Assert.Equal(0, reloaded.InFlight);
        Assert.Equal(At(1.01), reloaded.LastRunAt);
        Assert.Equal("succeeded", reloaded.LastRunStatus);
        Assert.Equal(JobStatus.Active, reloaded.Status);
    }

    [Fact]
    public async Task Completion_reports_a_job_only_when_nothing_is_left_in_flight()
    {
        var job = await CreateAsync(NewJob("pair", overlap: OverlapPolicy.Allow));
        var runs = (await ClaimAsync(At(2), job.Id)).Runs;

        Assert.Empty(await Jobs.CompleteRunsAsync([Succeeded(runs[0], At(1), At(2.5))], default));
        Assert.Equal([new ScheduleEntry(job.Id, At(3))], await Jobs.CompleteRunsAsync([Succeeded(runs[1], At(2), At(2.6))], default));
    }

    [Fact]
    public async Task Completion_of_the_last_execution_completes_the_job()
    {
        var job = await CreateAsync(NewJob("once", executions: 1));
        var claimed = (await ClaimAsync(At(1), job.Id)).Runs[0];

        var released = await Jobs.CompleteRunsAsync([Failed(claimed, At(1.1), retryAt: null)], default);

        Assert.Equal([new ScheduleEntry(job.Id, null)], released);
        var reloaded = await ReloadAsync(job);
        Assert.Equal(JobStatus.Completed, reloaded.Status);
        Assert.Equal("failed", reloaded.LastRunStatus);
        var run = (await Jobs.GetRunAsync(Product, claimed.Run.Id, default))!;
        Assert.Equal(("HTTP 503", "http_status"), (run.ErrorMessage, run.ErrorKind));
    }

    [Fact]
    public async Task Completion_past_end_at_completes_the_job()
    {
        var job = await CreateAsync(NewJob("ending") with { EndAt = At(1.5) });
        var claimed = (await ClaimAsync(At(1), job.Id)).Runs[0];

        await Jobs.CompleteRunsAsync([Succeeded(claimed, At(1), At(1.1))], default);

        Assert.Equal(JobStatus.Completed, (await ReloadAsync(job)).Status);
    }

    [Fact]
    public async Task Retry_completion_keeps_the_run_running_with_the_next_attempt()
    {
        var job = await CreateAsync(NewJob("flaky", maxAttempts: 3));
        var claimed = (await ClaimAsync(At(1), job.Id)).Runs[0];

        var released = await Jobs.CompleteRunsAsync([Failed(claimed, At(1.1), retryAt: At(1.6))], default);

        Assert.Empty(released);
        var run = (await Jobs.GetRunAsync(Product, claimed.Run.Id, default))!;
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Equal(2, run.Attempt);
        Assert.Equal("HTTP 503", run.ErrorMessage);
        Assert.Null(run.FinishedAt);
        var reloaded = await ReloadAsync(job);
        Assert.Equal(1, reloaded.InFlight);
        Assert.Null(reloaded.LastRunStatus);
    }

    [Fact]
    public async Task Completion_after_the_job_was_deleted_still_records_the_run()
    {
        var job = await CreateAsync(NewJob("vanished"));
        var claimed = (await ClaimAsync(At(1), job.Id)).Runs[0];
        await Jobs.DeleteJobAsync(Product, "vanished", default);

        var released = await Jobs.CompleteRunsAsync([Succeeded(claimed, At(1), At(1.5))], default);

        Assert.Empty(released);
        Assert.Equal(RunStatus.Succeeded, (await Jobs.GetRunAsync(Product, claimed.Run.Id, default))!.Status);
    }

    [Fact]
    public async Task A_repeated_final_completion_releases_the_job_once()
    {
        var job = await CreateAsync(NewJob("twice", overlap: OverlapPolicy.Allow));
        var runs = (await ClaimAsync(At(2), job.Id)).Runs;

        await Jobs.CompleteRunsAsync([Succeeded(runs[0], At(1), At(2.1)), Succeeded(runs[0], At(1), At(2.1))], default);

        Assert.Equal(1, (await ReloadAsync(job)).InFlight);
    }

    [Fact]
    public async Task Interrupted_attempt_with_attempts_left_is_reissued_as_the_next_attempt()
    {
        var job = await CreateAsync(NewJob("resume", maxAttempts: 2));
        var claimed = (await ClaimAsync(At(1), job.Id)).Runs[0];

        var result = await Jobs.RecoverRunsAsync(new RecoverParams("node-b", At(30), null), default);

        Assert.Equal(0, result.Abandoned);
        var resumed = Assert.Single(result.Resume);
        Assert.Equal(claimed.Run.Id, resumed.Run.Id);
        Assert.Equal(2, resumed.Run.Attempt);
        Assert.Equal("node-b", resumed.Run.Node);
        Assert.Equal(At(30), resumed.RunAt);
        Assert.Equal(job.Name, resumed.JobName);
        Assert.Equal(job.Retries, resumed.Retries);
        var run = (await Jobs.GetRunAsync(Product, claimed.Run.Id, default))!;
        Assert.Equal((RunStatus.Running, 2, "node-b"), (run.Status, run.Attempt, run.Node));
    }

    [Fact]
    public async Task Interrupted_last_attempt_is_abandoned_and_releases_the_job()
    {
        var job = await CreateAsync(NewJob("lost", executions: 1, maxAttempts: 1));
        var claimed = (await ClaimAsync(At(1), job.Id)).Runs[0];

        var result = await Jobs.RecoverRunsAsync(new RecoverParams("node-b", At(30), null), default);

        Assert.Empty(result.Resume);
        Assert.Equal(1, result.Abandoned);
        var run = (await Jobs.GetRunAsync(Product, claimed.Run.Id, default))!;
        Assert.Equal(RunStatus.Abandoned, run.Status);
        Assert.Equal(At(30), run.FinishedAt);
        Assert.Equal("abandoned", run.ErrorKind);
        Assert.Equal("the node running this attempt stopped", run.ErrorMessage);
        var reloaded = await ReloadAsync(job);
        Assert.Equal(0, reloaded.InFlight);
        Assert.Equal("abandoned", reloaded.LastRunStatus);
        Assert.Equal(JobStatus.Completed, reloaded.Status);
    }

    [Fact]
    public async Task Pending_retry_is_reissued_as_is()
    {
        var job = await CreateAsync(NewJob("pending", maxAttempts: 2));
        var claimed = (await ClaimAsync(At(1), job.Id)).Runs[0];
        await Jobs.CompleteRunsAsync([Failed(claimed, At(1.1), retryAt: At(2))], default);

        var result = await Jobs.RecoverRunsAsync(new RecoverParams("node-b", At(30), null), default);

        var resumed = Assert.Single(result.Resume);
        Assert.Equal(2, resumed.Run.Attempt); // the retry had not started: it is not used up
        Assert.Equal(At(2), resumed.RunAt);
        Assert.Equal("node-b", resumed.Run.Node);
    }

    [Fact]
    public async Task Recovery_takes_over_only_runs_of_the_given_nodes()
    {
        var job = await CreateAsync(NewJob("owned", overlap: OverlapPolicy.Allow, maxAttempts: 3));
        await Jobs.ClaimDueSlotsAsync(new ClaimParams("node-a", At(1), At(1), [job.Id], Threshold), default);
        await Jobs.ClaimDueSlotsAsync(new ClaimParams("node-c", At(2), At(2), [job.Id], Threshold), default);

        var result = await Jobs.RecoverRunsAsync(new RecoverParams("node-b", At(30), ["node-a", "node-x"]), default);

        Assert.Equal([1L], result.Resume.Select(r => r.Run.Slot));
        Assert.Equal(["node-b", "node-c"], (await RunsOfAsync("owned")).Select(r => r.Node!).Order());
    }

    [Fact]
    public async Task Running_run_of_a_deleted_job_is_abandoned_on_recovery()
    {
        var job = await CreateAsync(NewJob("orphan", maxAttempts: 5));
        var claimed = (await ClaimAsync(At(1), job.Id)).Runs[0];
        await Jobs.DeleteJobAsync(Product, "orphan", default);

        var result = await Jobs.RecoverRunsAsync(new RecoverParams("node-b", At(30), null), default);

        Assert.Empty(result.Resume);
        Assert.Equal(1, result.Abandoned);
        Assert.Equal(RunStatus.Abandoned, (await Jobs.GetRunAsync(Product, claimed.Run.Id, default))!.Status);
    }

    [Fact]
    public async Task Prune_deletes_old_and_surplus_finished_runs_and_keeps_running_ones()
    {
        var a = await CreateAsync(NewJob("a", overlap: OverlapPolicy.Allow));
        var b = await CreateAsync(NewJob("b", overlap: OverlapPolicy.Allow));
        var runsA = (await ClaimAsync(At(5), a.Id)).Runs; // 5 runs, slots 1..5
        var runsB = (await ClaimAsync(At(2), b.Id)).Runs; // 2 runs
        // a: slots 1-4 finish (slot 1 long ago), slot 5 still running; b: both finish recently.
        await Jobs.CompleteRunsAsync(runsA.Take(4).Select((r, i) => Succeeded(r, r.RunAt, At(i == 0 ? 1 : 100))).ToList(), default);
        await Jobs.CompleteRunsAsync(runsB.Select(r => Succeeded(r, r.RunAt, At(100))).ToList(), default);

        var deleted = await Jobs.PruneRunsAsync(new PruneParams(KeepPerJob: 3, OlderThan: At(50)), default);

        // a: slot 1 is too old; of the newest three (5, 4, 3), slot 2 is surplus. b: both kept.
        Assert.Equal(2, deleted);
        Assert.Equal([5L, 4L, 3L], (await RunsOfAsync("a")).Select(r => r.Slot));
        Assert.Equal([2L, 1L], (await RunsOfAsync("b")).Select(r => r.Slot));
        Assert.Equal(0, await Jobs.PruneRunsAsync(new PruneParams(3, At(50)), default));
    }

    [Fact]
    public async Task Runs_are_listed_newest_first_in_pages_with_filters()
    {
        var job = await CreateAsync(NewJob("hist", overlap: OverlapPolicy.Allow));
        var other = await CreateAsync(NewJob("other", overlap: OverlapPolicy.Allow));
        var runs = (await ClaimAsync(At(5), job.Id, other.Id)).Runs.Where(r => r.Run.JobId == job.Id).ToList();
        await Jobs.CompleteRunsAsync([Succeeded(runs[1], At(2), At(5.1)), Succeeded(runs[3], At(4), At(5.1))], default);

        var page1 = await Jobs.ListRunsAsync(new RunQuery(Product, "hist", null, 2, null), default);
        var page2 = await Jobs.ListRunsAsync(new RunQuery(Product, "hist", null, 2, page1.NextCursor), default);
        var page3 = await Jobs.ListRunsAsync(new RunQuery(Product, "hist", null, 2, page2.NextCursor), default);
        var succeeded = await Jobs.ListRunsAsync(new RunQuery(Product, "hist", RunStatus.Succeeded, 10, null), default);
        var everything = await Jobs.ListRunsAsync(new RunQuery(Product, null, null, 100, null), default);

        Assert.Equal([5L, 4L], page1.Items.Select(r => r.Slot));
        Assert.Equal([3L, 2L], page2.Items.Select(r => r.Slot));
        Assert.Equal([1L], page3.Items.Select(r => r.Slot));
        Assert.Null(page3.NextCursor);
        Assert.Equal([4L, 2L], succeeded.Items.Select(r => r.Slot));
        Assert.Equal(10, everything.Items.Count);
        Assert.Empty((await Jobs.ListRunsAsync(new RunQuery("elsewhere", "hist", null, 10, null), default)).Items);
        await Assert.ThrowsAsync<ValidationFailedException>(() => Jobs.ListRunsAsync(new RunQuery(Product, "hist", null, 2, "'; drop"), default));
    }

    [Fact]
    public async Task A_run_is_read_only_through_its_own_product()
    {
        var job = await CreateAsync(NewJob("mine"));
        var id = (await ClaimAsync(At(1), job.Id)).Runs[0].Run.Id;

        Assert.NotNull(await Jobs.GetRunAsync(Product, id, default));
        Assert.Null(await Jobs.GetRunAsync("elsewhere", id, default));
        Assert.Null(await Jobs.GetRunAsync(Product, id[..^1] + (id[^1] == '0' ? '1' : '0'), default));
    }
}
