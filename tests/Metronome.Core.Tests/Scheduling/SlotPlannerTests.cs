using Metronome.Core.Jobs;
using Metronome.Core.Scheduling;

namespace Metronome.Core.Tests.Scheduling;

public sealed class SlotPlannerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(5);

    private static Job NewJob(long intervalMs = 1000, long executions = 0, OverlapPolicy overlap = OverlapPolicy.Skip,
        MisfirePolicy misfire = MisfirePolicy.FireOnce, int inFlight = 0, long done = 0, DateTimeOffset? endAt = null) => new()
    {
        Id = 1, Product = "p", Tag = "j", Name = "J", EventType = "action", EventTag = "e",
        IntervalMs = intervalMs, Executions = executions, Overlap = overlap, Misfire = misfire,
        InFlight = inFlight, ExecutionsDone = done, EndAt = endAt, NextSlot = 1, NextDueAt = T0,
    };

    [Fact]
    public void Job_not_yet_due_plans_nothing()
    {
        var plan = SlotPlanner.Plan(NewJob(), T0.AddMilliseconds(-1), Threshold);
        Assert.Empty(plan.Slots);
        Assert.Equal(T0, plan.Next.NextDueAt);
    }

    [Fact]
    public void Due_job_fires_its_slot_and_advances_one_interval_without_drift()
    {
        // Claimed 300 ms late: the next slot is still anchored on the grid, not on the claim time.
        var plan = SlotPlanner.Plan(NewJob(), T0.AddMilliseconds(300), Threshold);
        var slot = Assert.Single(plan.Slots);
        Assert.Equal((1L, T0, false), (slot.Slot, slot.ScheduledAt, slot.Skipped));
        Assert.Equal(2, plan.Next.NextSlot);
        Assert.Equal(T0.AddSeconds(1), plan.Next.NextDueAt);
        Assert.Equal(1, plan.Next.ExecutionsDone);
        Assert.Equal(1, plan.Next.InFlight);
    }

    // (lateness ms, policy, expected fired slots, expected next slot)
    [Theory]
    [InlineData(2500, MisfirePolicy.FireOnce, new long[] { 1, 2, 3 }, 4)]      // under the threshold: every due slot fires
    [InlineData(10_500, MisfirePolicy.FireOnce, new long[] { 11 }, 12)]        // misfire: one execution now (latest slot)
    [InlineData(10_500, MisfirePolicy.Skip, new long[0], 12)]                  // misfire: back on the grid, nothing now
    [InlineData(10_500, MisfirePolicy.CatchUp, new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, 12)] // every missed slot
    public void Late_claims_follow_the_misfire_policy(int latenessMs, MisfirePolicy policy, long[] fired, long nextSlot)
    {
        var job = NewJob(overlap: OverlapPolicy.Allow, misfire: policy);
        var plan = SlotPlanner.Plan(job, T0.AddMilliseconds(latenessMs), Threshold);
        Assert.Equal(fired, plan.Slots.Where(s => !s.Skipped).Select(s => s.Slot).ToArray());
        Assert.Equal(nextSlot, plan.Next.NextSlot);
        Assert.Equal(T0.AddSeconds(nextSlot - 1), plan.Next.NextDueAt);
        Assert.Equal(fired.Length, plan.Next.ExecutionsDone);
    }

    [Theory]
    [InlineData(2500, null, 3L, 2L)]   // behind by two slots: the latest fires, the two before it are one skipped block
    [InlineData(2500, 1500, 2L, 1L)]   // end_at before the latest due slot: the latest slot within end_at fires
    [InlineData(300, null, 1L, 0L)]    // one slot due: it fires, nothing is shed
    public void Overlap_skip_behind_its_grid_fires_the_latest_due_slot(int latenessMs, int? endMs, long fired, long shed)
    {
        var job = NewJob(endAt: endMs is { } e ? T0.AddMilliseconds(e) : null);
        var plan = SlotPlanner.Plan(job, T0.AddMilliseconds(latenessMs), Threshold);
        Assert.Equal([fired], plan.Slots.Where(s => !s.Skipped).Select(s => s.Slot));
        Assert.Equal(shed, plan.Slots.Where(s => s.Skipped).Sum(s => s.Count));
        if (shed > 0) Assert.Equal((1L, T0), (plan.Slots[0].Slot, plan.Slots[0].ScheduledAt));
        Assert.Equal(fired + 1, plan.Next.NextSlot);
        Assert.Equal(1, plan.Next.ExecutionsDone); // shed slots do not count
    }

    [Fact]
    public void Catch_up_without_overlap_allow_runs_missed_slots_one_after_another()
    {
        var job = NewJob(misfire: MisfirePolicy.CatchUp, overlap: OverlapPolicy.Skip);
        var first = SlotPlanner.Plan(job, T0.AddSeconds(10), Threshold);
        Assert.Equal([1L], first.Slots.Select(s => s.Slot));
        var second = SlotPlanner.Plan(first.Next, T0.AddSeconds(10), Threshold);
        Assert.Empty(second.Slots);
        Assert.True(second.Blocked);
        var third = SlotPlanner.Plan(first.Next with { InFlight = 0 }, T0.AddSeconds(10), Threshold);
        Assert.Equal([2L], third.Slots.Select(s => s.Slot));
    }

    [Theory]
    [InlineData(OverlapPolicy.Skip, true, false, 2)]   // recorded skipped, grid moves on
    [InlineData(OverlapPolicy.Queue, false, true, 1)]  // waits: the slot stays due
    [InlineData(OverlapPolicy.Allow, false, false, 2)] // runs concurrently
    public void Slot_due_while_previous_runs_follows_overlap_policy(OverlapPolicy overlap, bool skipped, bool blocked, long nextSlot)
    {
        var plan = SlotPlanner.Plan(NewJob(overlap: overlap, inFlight: 1), T0, Threshold);
        Assert.Equal(blocked, plan.Blocked);
        Assert.Equal(nextSlot, plan.Next.NextSlot);
        if (blocked) Assert.Empty(plan.Slots);
        else Assert.Equal(skipped, Assert.Single(plan.Slots).Skipped);
        Assert.Equal(overlap == OverlapPolicy.Allow ? 1 : 0, plan.Next.ExecutionsDone);
    }

    [Fact]
    public void Exhausted_job_fires_no_more_than_its_executions()
    {
        var job = NewJob(executions: 3, overlap: OverlapPolicy.Allow, done: 2);
        var plan = SlotPlanner.Plan(job, T0.AddSeconds(3), Threshold);
        Assert.Single(plan.Slots);
        Assert.True(plan.Next.ExecutionsExhausted);
        Assert.Null(plan.Next.ScheduledDueAt);
    }

    [Fact]
    public void Slot_after_end_at_completes_the_job()
    {
        var job = NewJob(endAt: T0.AddMilliseconds(-1));
        var plan = SlotPlanner.Plan(job, T0, Threshold);
        Assert.Empty(plan.Slots);
        Assert.Equal(JobStatus.Completed, plan.Next.Status);
    }

    [Fact]
    public void Paused_job_plans_nothing()
    {
        var plan = SlotPlanner.Plan(NewJob() with { Status = JobStatus.Paused }, T0.AddHours(1), Threshold);
        Assert.Empty(plan.Slots);
    }

    [Theory]
    [InlineData(0, 1, 0)]       // due in the future: unchanged
    [InlineData(999, 1, 0)]
    [InlineData(1000, 2, 1000)] // exactly on a grid point: the next one strictly after now
    [InlineData(3500, 4, 3000)]
    public void Next_grid_point_after_now(int nowMs, long slot, int dueOffsetMs)
    {
        var due = T0.AddMilliseconds(1000);
        var (s, d) = SlotPlanner.NextGridPointAfter(1, due, 1000, T0.AddMilliseconds(nowMs));
        Assert.Equal(slot, s);
        Assert.Equal(due.AddMilliseconds(dueOffsetMs), d);
    }
}
