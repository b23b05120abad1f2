using Metronome.Core.Execution;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Microsoft.Extensions.Time.Testing;
using static Metronome.Core.Tests.Scheduling.CronGridTests;

namespace Metronome.Core.Tests.Scheduling;

/// <summary>A cron occurrence is a slot like an interval's: misfire, overlap, catch_up_limit, executions, end_at, jitter.</summary>
public sealed class CronPlannerTests
{
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(5);
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero); // a Monday

    private static ClaimParams Claim(DateTimeOffset now) => new("node-a", now, now, [7], Threshold);

    private static Func<string> Ids()
    {
        int n = 0;
        return () => $"run-{n++}";
    }

    // Hourly job created at T0 (slot 1 at 00:00), nobody claims until 10:30: eleven slots (00:00 … 10:00) are missed.
    [Theory]
    [InlineData(MisfirePolicy.FireOnce, new long[] { 11 }, 0L, 12L)]                     // the latest missed fires
    [InlineData(MisfirePolicy.Skip, new long[0], 0L, 12L)]                                  // none fires, back on the grid
    [InlineData(MisfirePolicy.CatchUp, new long[] { 8, 9, 10, 11 }, 7L, 12L)]              // the latest 4 (catch_up_limit) run
    public void Missed_occurrences_follow_the_misfire_policy_and_catch_up_limit(MisfirePolicy policy, long[] fired, long shed, long nextSlot)
    {
        var job = CronJob("0 * * * *", "UTC", T0, misfire: policy, overlap: OverlapPolicy.Allow, catchUpLimit: 4);
        var plan = SlotPlanner.Plan(job, T0.AddHours(10.5), Threshold);
        Assert.Equal(fired, plan.Slots.Where(s => !s.Skipped).Select(s => s.Slot));
        Assert.Equal(fired.Select(s => T0.AddHours(s - 1)), plan.Slots.Where(s => !s.Skipped).Select(s => s.ScheduledAt));
        Assert.Equal(shed, plan.Slots.Where(s => s.Skipped).Sum(s => s.Count));
        Assert.All(plan.Slots.Where(s => s.Skipped), s => Assert.True(s.Misfire));
        Assert.Equal((nextSlot, T0.AddHours(11)), (plan.Next.NextSlot, plan.Next.NextDueAt));
    }

    [Fact]
    public void Slots_older_than_catch_up_limit_are_one_skipped_run_of_kind_misfire()
    {
        var job = CronJob("0 * * * *", "UTC", T0, misfire: MisfirePolicy.CatchUp, overlap: OverlapPolicy.Allow, catchUpLimit: 2);
        var claim = JobLedger.Claim(7, job, Claim(T0.AddHours(10.5)), Ids());
        var skipped = Assert.Single(claim.Skipped);
        Assert.Equal((RunStatus.Skipped, ErrorKinds.Misfire, 9L, 1L, T0), (skipped.Status, skipped.ErrorKind, skipped.SkippedCount, skipped.Slot, skipped.ScheduledAt));
        Assert.Equal([10L, 11L], claim.Runs.Select(r => r.Run.Slot));
        Assert.Equal(2, claim.Next!.ExecutionsDone); // skipped slots do not count
    }

    [Fact]
    public void Catch_up_limit_zero_runs_no_missed_slot()
    {
        var job = CronJob("0 * * * *", "UTC", T0, misfire: MisfirePolicy.CatchUp, catchUpLimit: 0);
        var plan = SlotPlanner.Plan(job, T0.AddHours(3.5), Threshold);
        var block = Assert.Single(plan.Slots);
        Assert.Equal((true, 4L, 1L), (block.Skipped, block.Count, block.Slot));
        Assert.Equal(5, plan.Next.NextSlot);
    }

    [Fact]
    public void An_occurrence_due_while_the_last_still_runs_is_skipped_with_overlap_skip_and_waits_with_queue()
    {
        var running = CronJob("*/5 * * * *", "UTC", T0) with { InFlight = 1 };
        var skip = SlotPlanner.Plan(running, T0.AddSeconds(1), Threshold);
        Assert.Equal((1L, true, T0), (skip.Slots.Single().Slot, skip.Slots.Single().Skipped, skip.Slots.Single().ScheduledAt));
        Assert.Equal(T0.AddMinutes(5), skip.Next.NextDueAt);

        var queue = SlotPlanner.Plan(running with { Overlap = OverlapPolicy.Queue }, T0.AddSeconds(1), Threshold);
        Assert.Empty(queue.Slots);
        Assert.True(queue.Blocked);
        Assert.Equal(T0, queue.Next.NextDueAt);
    }

    [Fact]
    public void Executions_and_end_at_bound_a_cron_job()
    {
        var clock = new FakeTimeProvider(T0);
        Assert.Equal(3, Fire(CronJob("0 0 * * *", "UTC", T0, executions: 3), clock, T0.AddDays(30)).Count);

        var ended = CronJob("0 0 * * *", "UTC", T0, endAt: T0.AddDays(2).AddHours(1));
        var fired = Fire(ended, new FakeTimeProvider(T0), T0.AddDays(30));
        Assert.Equal([T0, T0.AddDays(1), T0.AddDays(2)], fired.Select(f => f.At));
        var last = SlotPlanner.Plan(ended with { NextSlot = 3, NextDueAt = T0.AddDays(2) }, T0.AddDays(2), Threshold);
        Assert.Equal(JobStatus.Active, last.Next.Status); // the slot just fired is still in flight
        Assert.Equal(JobStatus.Completed, JobLedger.Release(last.Next, T0.AddDays(2), RunStatus.Succeeded).Status);
    }

    [Fact]
    public void Jitter_is_deterministic_within_bounds_and_is_the_runs_scheduled_at()
    {
        var job = CronJob("0 * * * *", "UTC", T0, jitterMs: 30_000);
        var offsets = Enumerable.Range(1, 1000).Select(s => JobGrid.Jitter(job, s)).ToList();
        Assert.All(offsets, o => Assert.InRange(o.TotalMilliseconds, 0, 30_000));
        Assert.Equal(offsets, Enumerable.Range(1, 1000).Select(s => JobGrid.Jitter(job with { Id = 99 }, s))); // every node agrees
        Assert.True(offsets.Distinct().Count() > 900, "offsets should spread over the window");
        Assert.NotEqual(offsets, Enumerable.Range(1, 1000).Select(s => JobGrid.Jitter(job with { Tag = "other" }, s)));
        Assert.True(offsets.Average(o => o.TotalMilliseconds) is > 10_000 and < 20_000);

        var clock = new FakeTimeProvider(T0);
        var fired = Fire(job, clock, T0.AddDays(2));
        Assert.Equal(48, fired.Count);
        Assert.Equal(fired.Select(f => T0.AddHours(f.Slot - 1) + JobGrid.Jitter(job, f.Slot)), fired.Select(f => f.At));

        // Not before its jittered instant.
        var due = job.NextDueAt;
        Assert.Equal(T0 + JobGrid.Jitter(job, 1), due);
        if (due > T0) Assert.Empty(SlotPlanner.Plan(job, due.AddMilliseconds(-1), Threshold).Slots);
        Assert.Single(SlotPlanner.Plan(job, due, Threshold).Slots);
    }

    [Fact]
    public void Interval_jobs_with_jitter_keep_their_grid()
    {
        var job = JobTransitions.Create("shop", new JobSpec
        {
            Name = "I", Tag = "jittered", EventType = "action", EventTag = "ping", IntervalMs = 60_000, JitterMs = 10_000,
        }, T0) with { Id = 7 };
        var fired = Fire(job, new FakeTimeProvider(T0), T0.AddHours(1));
        Assert.Equal(Enumerable.Range(1, fired.Count).Select(s => (long)s), fired.Select(f => f.Slot));
        Assert.Equal(fired.Select(f => T0.AddMinutes(f.Slot) + JobGrid.Jitter(job, f.Slot)), fired.Select(f => f.At));
        Assert.InRange(fired.Count, 58, 59);
    }

    [Fact]
    public void A_per_second_cron_missed_for_days_is_worked_off_in_bounded_claims_with_exact_slot_numbers()
    {
        // 3 days of a per-second expression: 259,200 missed occurrences. Each claim walks at most MaxWalk of them.
        var job = CronJob("* * * * * *", "UTC", T0, misfire: MisfirePolicy.FireOnce);
        var now = T0.AddDays(3).AddMilliseconds(500);
        int claims = 0;
        SlotPlan plan;
        do
        {
            plan = SlotPlanner.Plan(job, now, Threshold);
            job = plan.Next;
            Assert.True(++claims < 100);
        } while (plan.Slots.Count == 0);
        Assert.Equal(259_200 / SlotPlanner.MaxWalk + 1, claims);
        var fired = Assert.Single(plan.Slots);
        Assert.Equal((259_201L, T0.AddDays(3)), (fired.Slot, fired.ScheduledAt)); // the latest missed slot, its exact number
        Assert.Equal(T0.AddDays(3).AddSeconds(1), job.NextDueAt);
    }

    [Fact]
    public void The_rest_of_a_huge_gap_follows_the_misfire_policy_even_when_it_is_no_longer_late()
    {
        // 20,003 missed: the first claim jumps over MaxWalk of them; the three left are within the threshold, yet still missed.
        var job = CronJob("* * * * * *", "UTC", T0, misfire: MisfirePolicy.Skip, overlap: OverlapPolicy.Allow);
        var now = T0.AddSeconds(SlotPlanner.MaxWalk + 2).AddMilliseconds(500);
        var first = SlotPlanner.Plan(job, now, Threshold);
        Assert.Empty(first.Slots);
        Assert.True(now - first.Next.NextDueAt < Threshold);
        var second = SlotPlanner.Plan(first.Next, now, Threshold);
        Assert.Empty(second.Slots); // misfire skip: nothing runs, back on the grid
        Assert.Equal((SlotPlanner.MaxWalk + 4L, T0.AddSeconds(SlotPlanner.MaxWalk + 3)), (second.Next.NextSlot, second.Next.NextDueAt));
    }

    [Fact]
    public void Catch_up_of_a_huge_gap_sheds_into_one_misfire_run_across_claims()
    {
        var job = CronJob("* * * * * *", "UTC", T0, misfire: MisfirePolicy.CatchUp, overlap: OverlapPolicy.Allow, catchUpLimit: 3);
        var now = T0.AddDays(1).AddMilliseconds(500); // 86,401 occurrences due (00:00:00 … 24:00:00)
        var ids = Ids();
        Run? misfireRun = null;
        var ran = new List<long>();
        for (int i = 0; i < 100 && ran.Count < 3; i++)
        {
            var claim = JobLedger.Claim(7, job, Claim(now), ids);
            if (claim.Skipped.Count > 0) misfireRun = Assert.Single(claim.Skipped);
            if (claim.Extended is { } ext)
            {
                Assert.Equal(misfireRun!.Id, ext.RunId);
                misfireRun = misfireRun with { SkippedCount = misfireRun.SkippedCount + ext.Count };
            }
            ran.AddRange(claim.Runs.Select(r => r.Run.Slot));
            job = claim.Next ?? job;
        }
        Assert.Equal([86_399L, 86_400L, 86_401L], ran);
        Assert.NotNull(misfireRun);
        Assert.Equal((1L, 86_398L, ErrorKinds.Misfire), (misfireRun.Slot, misfireRun.SkippedCount, misfireRun.ErrorKind));
    }

    [Fact]
    public void Overlap_and_misfire_skips_never_extend_each_other()
    {
        // An open overlap run ends right before the slots a catch-up now sheds: the misfire slots get a run of their own.
        var job = CronJob("0 * * * *", "UTC", T0, misfire: MisfirePolicy.CatchUp, overlap: OverlapPolicy.Allow, catchUpLimit: 1)
            with { SkipRunId = "overlap-run", SkipRunNextSlot = 1 };
        var claim = JobLedger.Claim(7, job, Claim(T0.AddHours(5.5)), Ids());
        Assert.Null(claim.Extended);
        Assert.Equal(ErrorKinds.Misfire, Assert.Single(claim.Skipped).ErrorKind);
        Assert.Equal(-6L, claim.Next!.SkipRunNextSlot);
    }
}
