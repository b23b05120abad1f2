using Metronome.Contracts;
using Metronome.Core.Execution;
using Metronome.Core.Jobs;
using Metronome.Core.Engine;
using Metronome.Core.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace Metronome.Core.Tests.Engine;

public sealed class EngineTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Job_with_three_executions_runs_exactly_three_times_then_completes()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("three", 3, 1000));
        for (int i = 1; i <= 3; i++) await h.AdvanceUntilOutcomesAsync(Second, i);
        await h.IdleAsync();
        var claimsAfterThird = h.Probe.ClaimCycles;
        h.Time.Advance(TimeSpan.FromSeconds(10));
        await h.IdleAsync(); // the engine has looked at the queue after the advance and found nothing to do

        var job = await h.Jobs.GetAsync("shop", "three");
        Assert.Equal(JobStatus.Completed, job.Status);
        Assert.Equal(3, job.ExecutionsDone);
        Assert.Null(job.ScheduledDueAt);
        Assert.Equal([1L, 2L, 3L], h.Executor.Calls.Select(c => c.Slot));
        Assert.Equal(claimsAfterThird, h.Probe.ClaimCycles);
        Assert.All(await h.RunsAsync("three"), r => Assert.Equal(RunStatus.Succeeded, r.Status));
    }

    [Fact]
    public async Task Engine_is_idle_only_while_nothing_is_due_held_or_unwritten()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.IdleAsync(); // a started engine with no jobs is idle
        h.Executor.Behaviour = (_, _) => h.Executor.Hold();
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("held", 1, 1000));
        await h.IdleAsync(); // waiting for the first slot, a second away
        h.Time.Advance(Second);
        await h.AttemptsAsync(1);
        Assert.False(h.Probe.IsIdle); // an attempt is running

        h.Executor.ReleaseAll();
        await h.OutcomesAsync(1);
        await h.IdleAsync();
        Assert.Equal(JobStatus.Completed, (await h.Jobs.GetAsync("shop", "held")).Status);
    }

    [Fact]
    public async Task A_retry_waiting_for_its_backoff_keeps_the_engine_busy()
    {
        await using var h = await EngineHarness.StartAsync();
        h.Executor.Behaviour = (_, _) => Task.FromResult<ExecutionOutcome?>(ExecutionOutcome.Failure(ErrorKinds.HttpStatus, "503"));
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("retry", 1, 1000,
            j => j.Retries = new RetryOptions { MaxAttempts = 2, BackoffMs = 60_000, MaxBackoffMs = 60_000 }));
        h.Time.Advance(Second);
        await h.OutcomesAsync(1);
        Assert.False(h.Probe.IsIdle); // the second attempt waits for its backoff

        h.Time.Advance(TimeSpan.FromSeconds(73)); // past 60 s + 20 % jitter
        await h.OutcomesAsync(2);
        await h.IdleAsync();
        Assert.Equal(2, h.Executor.Calls.Count);
    }

    [Fact]
    public async Task Slots_stay_on_the_fixed_rate_grid_when_claims_are_late()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("grid", 4, 1000));
        // Each step is 1.3 s: the engine sees every slot late, yet slot k stays due at start + k s.
        for (int i = 1; i <= 3; i++) await h.AdvanceUntilOutcomesAsync(TimeSpan.FromMilliseconds(1300), i);
        var runs = await h.RunsAsync("grid");
        Assert.Equal(3, runs.Count);
        foreach (var r in runs) Assert.Equal(EngineHarness.T0 + Second * r.Slot, r.ScheduledAt);
    }

    [Fact]
    public async Task Unlimited_job_keeps_running()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("forever", 0, 1000));
        for (int i = 1; i <= 12; i++) await h.AdvanceUntilOutcomesAsync(Second, i);
        var job = await h.Jobs.GetAsync("shop", "forever");
        Assert.Equal(JobStatus.Active, job.Status);
        Assert.Equal(12, job.ExecutionsDone);
        Assert.Equal(EngineHarness.T0 + Second * 13, job.ScheduledDueAt);
    }

    [Fact]
    public async Task Failed_attempts_are_retried_with_backoff_under_one_idempotency_key_and_count_once()
    {
        await using var h = await EngineHarness.StartAsync();
        h.Executor.Behaviour = (ctx, _) => Task.FromResult(ctx.Attempt < 3 ? ExecutionOutcome.Failure(ErrorKinds.HttpStatus, "503") : null);
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("flaky", 1, 1000,
            j => j.Retries = new RetryOptions { MaxAttempts = 3, BackoffMs = 1000, MaxBackoffMs = 10_000 }));
        await h.AdvanceUntilOutcomesAsync(Second, 1);      // attempt 1 fails, retry in ~1 s (±20 %)
        await h.AdvanceUntilOutcomesAsync(Second * 1.3, 2); // attempt 2 fails, retry in ~2 s
        await h.AdvanceUntilOutcomesAsync(Second * 2.5, 3); // attempt 3 succeeds

        var calls = h.Executor.Calls.ToArray();
        Assert.Equal([1, 2, 3], calls.Select(c => c.Attempt));
        Assert.Single(calls.Select(c => c.Key).Distinct());
        Assert.Equal("shop/flaky/1", calls[0].Key);
        Assert.InRange((calls[1].At - calls[0].At).TotalMilliseconds, 800, 1300);
        var run = Assert.Single(await h.RunsAsync("flaky"));
        Assert.Equal((RunStatus.Succeeded, 3), (run.Status, run.Attempt));
        var job = await h.Jobs.GetAsync("shop", "flaky");
        Assert.Equal((1L, JobStatus.Completed), (job.ExecutionsDone, job.Status));
    }

    [Fact]
    public async Task Attempt_running_past_its_timeout_is_cancelled_and_recorded_timed_out()
    {
        await using var h = await EngineHarness.StartAsync();
        h.Executor.Behaviour = async (_, ct) => { await new TaskCompletionSource().Task.WaitAsync(ct); return null; };
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("slow", 1, 1000, j => j.TimeoutMs = 500));
        h.Time.Advance(Second);
        await h.AttemptsAsync(1);
        await h.AdvanceUntilOutcomesAsync(TimeSpan.FromMilliseconds(500), 1);
        var run = Assert.Single(await h.RunsAsync("slow"));
        Assert.Equal(RunStatus.TimedOut, run.Status);
        Assert.Equal(ErrorKinds.Timeout, run.ErrorKind);
    }

    [Fact]
    public async Task Slot_due_while_the_previous_runs_is_skipped_and_not_counted()
    {
        await using var h = await EngineHarness.StartAsync();
        h.Executor.Behaviour = (ctx, _) => ctx.Slot == 1 ? h.Executor.Hold() : Task.FromResult<ExecutionOutcome?>(null);
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("overlap", 3, 1000));
        h.Time.Advance(Second);
        await h.AttemptsAsync(1);
        h.Time.Advance(Second);                       // slot 2 comes due while slot 1 runs
        await h.Probe.WaitForAsync(p => p.ClaimCycles >= 2).WaitAsync(TimeSpan.FromSeconds(20));
        h.Executor.ReleaseAll();
        await h.OutcomesAsync(1);
        await h.AdvanceUntilOutcomesAsync(Second, 2);  // slot 3

        var runs = await h.RunsAsync("overlap");
        Assert.Equal([(1L, RunStatus.Succeeded), (2L, RunStatus.Skipped), (3L, RunStatus.Succeeded)], runs.Select(r => (r.Slot, r.Status)));
        Assert.Equal(2, (await h.Jobs.GetAsync("shop", "overlap")).ExecutionsDone);
    }

    [Fact]
    public async Task Paused_job_fires_nothing_and_resumes_on_the_next_grid_point()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("pausable", 0, 1000));
        await h.AdvanceUntilOutcomesAsync(Second, 1);
        await h.Jobs.PauseAsync("shop", "pausable");
        h.Time.Advance(Second * 5);
        Assert.Single(h.Executor.Calls);
        h.Time.Advance(TimeSpan.FromMilliseconds(300)); // now = T0 + 6.3 s
        var resumed = await h.Jobs.ResumeAsync("shop", "pausable");
        Assert.Equal(EngineHarness.T0 + Second * 7, resumed.ScheduledDueAt);
        await h.AdvanceUntilOutcomesAsync(TimeSpan.FromMilliseconds(700), 2);
        Assert.Equal([1L, 7L], h.Executor.Calls.Select(c => c.Slot));
    }

    [Fact]
    public async Task Deleted_job_starts_nothing_more()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("doomed", 0, 1000));
        await h.AdvanceUntilOutcomesAsync(Second, 1);
        await h.Jobs.DeleteAsync("shop", "doomed");
        h.Time.Advance(Second * 5);
        Assert.Single(h.Executor.Calls);
        await Assert.ThrowsAsync<NotFoundException>(() => h.Jobs.GetAsync("shop", "doomed"));
    }

    [Fact]
    public async Task Trigger_runs_once_now_outside_the_grid_and_counts()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("manual", 5, 60_000));
        var run = await h.Jobs.TriggerAsync("shop", "manual");
        await h.OutcomesAsync(1);
        Assert.Equal(0, run.Slot);
        var job = await h.Jobs.GetAsync("shop", "manual");
        Assert.Equal(1, job.ExecutionsDone);
        Assert.Equal(EngineHarness.T0 + TimeSpan.FromMinutes(1), job.ScheduledDueAt);
        Assert.Equal(RunStatus.Succeeded, (await h.Jobs.GetRunAsync("shop", run.Id)).Status);
    }

    [Fact]
    public async Task Update_of_intervals_re_anchors_the_next_slot()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("retime", 0, 1000));
        await h.AdvanceUntilOutcomesAsync(Second, 1); // ran at T0 + 1 s
        var updated = await h.Jobs.UpdateAsync("shop", "retime", new ProductJobUpdate { Intervals = 5000 });
        Assert.Equal(EngineHarness.T0 + Second * 6, updated.ScheduledDueAt);
        h.Time.Advance(Second * 4);
        Assert.Single(h.Executor.Calls);
        await h.AdvanceUntilOutcomesAsync(Second, 2);
        Assert.Equal(EngineHarness.T0 + Second * 6, h.Executor.Calls.Last().At);
    }

    [Fact]
    public async Task Restart_after_an_outage_fires_once_then_returns_to_the_grid()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(EngineHarness.T0);
        string path;
        await using (var first = await EngineHarness.StartAsync(time: time))
        {
            path = first.DatabasePath;
            await first.Jobs.CreateAsync("shop", EngineHarness.Job("outage", 0, 1000));
            await first.AdvanceUntilOutcomesAsync(Second, 1);
        }
        time.Advance(TimeSpan.FromMinutes(1)); // down for a minute: 60 slots missed
        await using var second = await EngineHarness.StartAsync(path, time);
        await second.OutcomesAsync(1);
        var runs = await second.RunsAsync("outage");
        Assert.Equal(2, runs.Count);
        Assert.Equal(61, runs[1].Slot); // the latest missed slot, fired once
        Assert.Equal(EngineHarness.T0 + Second * 62, (await second.Jobs.GetAsync("shop", "outage")).ScheduledDueAt);
    }

    [Fact]
    public async Task Run_interrupted_by_a_crash_is_retried_if_attempts_remain_else_abandoned()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(EngineHarness.T0);
        // The first engine "crashes": it is never stopped, and its two attempts hang for ever, so the store keeps
        // both runs "running" exactly as a kill -9 would leave them. A second engine on the same file takes over.
        var first = await EngineHarness.StartAsync(time: time);
        var path = first.DatabasePath;
        await first.Jobs.CreateAsync("shop", EngineHarness.Job("retryable", 1, 1000, j => j.Retries = new RetryOptions { MaxAttempts = 2 }));
        await first.Jobs.CreateAsync("shop", EngineHarness.Job("once", 1, 1000));
        first.Executor.Behaviour = (_, _) => new TaskCompletionSource<ExecutionOutcome?>().Task;
        first.Time.Advance(Second);
        await first.AttemptsAsync(2);

        await using var second = await EngineHarness.StartAsync(path, time);
        await second.OutcomesAsync(1);
        var retried = Assert.Single(await second.RunsAsync("retryable"));
        Assert.Equal((RunStatus.Succeeded, 2), (retried.Status, retried.Attempt));
        var abandoned = Assert.Single(await second.RunsAsync("once"));
        Assert.Equal(RunStatus.Abandoned, abandoned.Status);
        Assert.Equal(1, (await second.Jobs.GetAsync("shop", "once")).ExecutionsDone);
    }

    [Fact]
    public async Task A_job_due_a_year_ahead_does_not_stop_the_engine_from_firing_others()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("yearly", 0, 31_622_400_000)); // beyond a timer's ~49-day range
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("secondly", 2, 1000));
        await h.AdvanceUntilOutcomesAsync(Second, 1);
        await h.AdvanceUntilOutcomesAsync(Second, 2);
        Assert.Equal([1L, 2L], h.Executor.Calls.Select(c => c.Slot));
    }

    [Fact]
    public async Task A_retry_due_a_hundred_days_later_still_runs()
    {
        await using var h = await EngineHarness.StartAsync();
        h.Executor.Behaviour = (ctx, _) => Task.FromResult(ctx.Attempt == 1 ? ExecutionOutcome.Failure(ErrorKinds.HttpStatus, "503") : null);
        const long hundredDays = 8_640_000_000;
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("patient", 1, 1000,
            j => j.Retries = new RetryOptions { MaxAttempts = 2, BackoffMs = hundredDays, MaxBackoffMs = hundredDays }));
        await h.AdvanceUntilOutcomesAsync(Second, 1);
        await h.AdvanceUntilOutcomesAsync(TimeSpan.FromDays(121), 2); // past the +20 % jitter
        var run = Assert.Single(await h.RunsAsync("patient"));
        Assert.Equal((RunStatus.Succeeded, 2), (run.Status, run.Attempt));
    }

    [Fact]
    public async Task A_full_node_claims_nothing_more_until_an_attempt_leaves()
    {
        await using var h = await EngineHarness.StartAsync(configure: o => (o.MaxConcurrency, o.ProductMaxConcurrency) = (3, 3));
        h.Executor.Behaviour = (ctx, _) => ctx.Slot == 1 ? h.Executor.Hold() : Task.FromResult<ExecutionOutcome?>(null);
        for (int i = 0; i < 4; i++)
            await h.Jobs.CreateAsync("shop", EngineHarness.Job($"busy-{i}", 2, 1000, j => j.Overlap = "allow"));
        h.Time.Advance(Second);                       // four jobs due, room for three
        await h.ClaimedAsync(3);
        await h.AttemptsAsync(3);                     // three slot-1 attempts hang: the node is full
        h.Time.Advance(Second);                       // more slots come due, but there is no room to claim them
        Assert.Equal(3, h.Probe.SlotsClaimed);
        Assert.Equal(3, h.Probe.AttemptsStarted);

        h.Executor.ReleaseAll();                      // attempts leave: the loop claims again without any timer
        await h.OutcomesAsync(8);
        await h.IdleAsync();
        Assert.Equal(8, h.Executor.Calls.Count);
        Assert.Equal(8, h.Probe.SlotsClaimed);
    }

    [Fact]
    public async Task What_guards_a_cancelled_or_changed_job_is_dropped_once_nothing_can_race_with_it()
    {
        await using var h = await EngineHarness.StartAsync();
        var dispatcher = h.Services.GetRequiredService<RunDispatcher>();
        var scheduler = h.Services.GetRequiredService<DueScheduler>();
        h.Executor.Behaviour = async (_, _) =>
        {
            await h.Executor.Hold();
            return ExecutionOutcome.Failure(ErrorKinds.HttpStatus, "503");
        };
        for (int i = 0; i < 20; i++)
            await h.Jobs.CreateAsync("shop", EngineHarness.Job($"job-{i}", 0, 1000,
                j => j.Retries = new RetryOptions { MaxAttempts = 3, BackoffMs = 1000, MaxBackoffMs = 1000 }));
        h.Time.Advance(Second);
        await h.AttemptsAsync(20);
        for (int i = 0; i < 20; i++)
        {
            if (i % 2 == 0) await h.Jobs.PauseAsync("shop", $"job-{i}");
            else await h.Jobs.DeleteAsync("shop", $"job-{i}");
        }
        Assert.Equal(20, dispatcher.CancelledJobs); // each still has a running attempt that must not be retried

        h.Executor.ReleaseAll();
        await h.OutcomesAsync(20);
        await h.IdleAsync();                          // a retry would keep the engine busy: none was scheduled
        Assert.Equal(20, h.Executor.Calls.Count);
        Assert.Equal(0, dispatcher.CancelledJobs);    // their last runs left: nothing of these jobs can start any more
        Assert.Equal(0, scheduler.TrackedChanges);    // no claim or reload is reading: no change needs remembering
        Assert.Equal(0, scheduler.ScheduledJobs);
    }
}
