using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Core.Tests.Scheduling;

public sealed class BackfillLedgerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A 1-minute job whose next slot is 11, due at T0 + 10 min: slot k is due at T0 + (k − 1) min.</summary>
    private static Job NewJob(OverlapPolicy overlap = OverlapPolicy.Skip, int inFlight = 0, JobStatus status = JobStatus.Active, long nextSlot = 11) => new()
    {
        Id = 7, Product = "p", Tag = "j", Name = "J", EventType = "action", EventTag = "e", IntervalMs = 60_000, Overlap = overlap,
        InFlight = inFlight, Status = status, NextSlot = nextSlot, NextDueAt = T0 + TimeSpan.FromMinutes(nextSlot - 1),
    };

    private static Func<string> Ids()
    {
        int n = 0;
        return () => $"run-{n++}";
    }

    private static DateTimeOffset Min(double m) => T0 + TimeSpan.FromMinutes(m);

    [Fact]
    public void Interval_slots_are_numbered_back_from_the_jobs_next_slot_and_due_one_interval_apart()
    {
        var time = new FakeTimeProvider(Min(30));
        var plan = BackfillLedger.Plan(NewJob(), Min(2), Min(5), time.GetUtcNow());
        Assert.Equal([new GridSlot(3, Min(2)), new GridSlot(4, Min(3)), new GridSlot(5, Min(4))], plan.Slots);
    }

    // (from, to) in minutes → first and last slot planned (0, 0: none)
    public static TheoryData<double, double, long, long> Ranges => new()
    {
        { 2, 5, 3, 5 },          // due instants in [from, to): slot 6 at minute 5 is out
        { 1.5, 4.5, 3, 5 },      // between grid points
        { -60, 3, 1, 3 },        // nothing before the first slot
        { 0, 60, 1, 10 },        // slot 11 on belongs to the due loop, even when due
        { 9, 10, 10, 10 },
        { 10, 20, 0, 0 },        // only the job's future
        { 2, 2.5, 3, 3 },
        { 2.1, 2.9, 0, 0 },      // no grid point inside
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public void The_plan_covers_grid_slots_due_in_the_half_open_range_below_the_next_slot(double from, double to, long first, long last)
    {
        var plan = BackfillLedger.Plan(NewJob(), Min(from), Min(to), Min(600));
        if (first == 0) Assert.Empty(plan.Slots);
        else Assert.Equal(Enumerable.Range((int)first, (int)(last - first + 1)).Select(s => (long)s), plan.Slots.Select(s => s.Slot));
        Assert.All(plan.Slots, s => Assert.Equal(Min(s.Slot - 1), s.DueAt));
    }

    [Fact]
    public void A_range_ending_in_the_future_is_cut_to_now()
    {
        var time = new FakeTimeProvider(Min(4.5));
        var plan = BackfillLedger.Plan(NewJob(), Min(0), Min(60), time.GetUtcNow());
        Assert.Equal(Min(4.5), plan.To);
        Assert.Equal([1L, 2, 3, 4, 5], plan.Slots.Select(s => s.Slot));
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], BackfillLedger.Plan(NewJob(), Min(0), Min(60), time.GetUtcNow()).Slots.Select(s => s.Slot));
    }

    [Fact]
    public void More_than_ten_thousand_grid_slots_is_refused_and_exactly_ten_thousand_is_not()
    {
        var job = NewJob(nextSlot: 20_001);
        var now = Min(50_000);
        Assert.Equal(BackfillLedger.MaxSlots, BackfillLedger.Plan(job, Min(0), Min(10_000), now).Slots.Count);
        var refused = Assert.Throws<ValidationFailedException>(() => BackfillLedger.Plan(job, Min(0), Min(10_001), now));
        Assert.Contains("10000", Assert.Single(refused.Errors["to"]), StringComparison.Ordinal);
    }

    [Fact]
    public void From_must_be_before_to()
    {
        var refused = Assert.Throws<ValidationFailedException>(() => BackfillLedger.Plan(NewJob(), Min(3), Min(3), Min(60)));
        Assert.True(refused.Errors.ContainsKey("from"));
    }

    [Fact]
    public void Slots_with_a_run_are_not_queued_and_a_skipped_run_holds_every_slot_it_stands_for()
    {
        var job = NewJob();
        var plan = BackfillLedger.Plan(job, Min(0), Min(10), Min(60));
        // slot 2 ran; slots 4..6 were skipped as one run; slot 9 ran
        var queued = BackfillLedger.Queue(job, plan, [new RecordedSlots(2, 0), new RecordedSlots(4, 3), new RecordedSlots(9, 0)], Ids());
        Assert.Equal([1L, 3, 7, 8, 10], queued.Select(r => r.Slot));
        Assert.All(queued, r =>
        {
            Assert.Equal(RunStatus.Running, r.Status);
            Assert.Null(r.Node);
            Assert.Null(r.StartedAt);
            Assert.Equal(1, r.Attempt);
            Assert.Equal(Min(r.Slot - 1), r.ScheduledAt);
            Assert.Equal($"p/j/{r.Slot}", r.IdempotencyKey);
        });
        Assert.Equal(queued.Count, queued.Select(r => r.Id).Distinct().Count());
    }

    [Fact]
    public void A_skip_overlap_job_starts_one_backfill_slot_at_a_time_the_lowest_first_and_only_with_nothing_in_flight()
    {
        var job = NewJob();
        var queued = BackfillLedger.Queue(job, BackfillLedger.Plan(job, Min(0), Min(3), Min(60)), [], Ids()).Reverse().ToList();
        var claim = BackfillLedger.Claim(job, queued, "n1", Min(60));
        var started = Assert.Single(claim.Start);
        Assert.Equal(1, started.Run.Slot);
        Assert.Equal("n1", started.Run.Node);
        Assert.Equal(Min(60), started.RunAt);
        Assert.Equal(1, claim.Next!.InFlight);
        Assert.Equal(job.ExecutionsDone, claim.Next.ExecutionsDone); // backfill does not count toward executions
        Assert.Empty(BackfillLedger.Claim(job with { InFlight = 1 }, queued, "n1", Min(60)).Start);
    }

    [Fact]
    public void An_allow_overlap_job_starts_up_to_its_bound_minus_what_is_in_flight()
    {
        var job = NewJob(OverlapPolicy.Allow, inFlight: 1);
        var queued = BackfillLedger.Queue(job, BackfillLedger.Plan(job, Min(0), Min(10), Min(60)), [], Ids());
        var claim = BackfillLedger.Claim(job, queued, "n1", Min(60));
        Assert.Equal([1L, 2, 3], claim.Start.Select(c => c.Run.Slot));
        Assert.Equal(BackfillLedger.AllowOverlapBound, claim.Next!.InFlight);
    }

    [Fact]
    public void A_paused_job_starts_nothing_and_a_deleted_job_abandons_its_queue()
    {
        var job = NewJob(status: JobStatus.Paused);
        var queued = BackfillLedger.Queue(job, BackfillLedger.Plan(job, Min(0), Min(3), Min(60)), [], Ids());
        var paused = BackfillLedger.Claim(job, queued, "n1", Min(60));
        Assert.Empty(paused.Start);
        Assert.Null(paused.Next);
        Assert.False(paused.JobGone);
        Assert.True(BackfillLedger.Claim(null, queued, "n1", Min(60)).JobGone);
        // a completed job still runs its backfill
        Assert.Single(BackfillLedger.Claim(job with { Status = JobStatus.Completed }, queued, "n1", Min(60)).Start);
    }

    [Fact]
    public void Cron_slots_are_the_expressions_occurrences_numbered_from_the_jobs_start_across_a_daylight_saving_jump()
    {
        // Daily at 02:30 Berlin time, created 2026-03-27: the 29th has no 02:30 (clocks jump 02:00 → 03:00), Vixie cron runs it at the jump.
        var created = new DateTimeOffset(2026, 3, 27, 0, 0, 0, TimeSpan.Zero);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var occurrences = Cronos.CronExpression.Parse("30 2 * * *").GetOccurrences(created, created.AddDays(10), zone).ToList();
        var job = new Job
        {
            Id = 8, Product = "p", Tag = "daily", Name = "Daily", EventType = "action", EventTag = "e", Cron = "30 2 * * *", TimeZone = "Europe/Berlin",
            CreatedAt = created, NextSlot = 6, NextDueAt = occurrences[5],
        };
        var plan = BackfillLedger.Plan(job, created, created.AddDays(30), occurrences[5] + TimeSpan.FromHours(1));
        Assert.Equal([1L, 2, 3, 4, 5], plan.Slots.Select(s => s.Slot));
        Assert.Equal(occurrences.Take(5), plan.Slots.Select(s => s.DueAt));
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero), plan.Slots[2].DueAt); // 03:00 CEST, at the jump
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 0, 30, 0, TimeSpan.Zero), plan.Slots[3].DueAt); // 02:30 CEST
        Assert.Equal([3L, 4], BackfillLedger.Plan(job, plan.Slots[2].DueAt, plan.Slots[4].DueAt, created.AddDays(30)).Slots.Select(s => s.Slot));
    }

    [Fact]
    public void A_range_ending_inside_a_slots_jitter_leaves_that_slot_out_and_ends()
    {
        // Jitter up to 50 s on a 1-minute grid; to falls 1 ms after slot 5's grid instant, so slot 5 is in range only if its
        // jitter is 0, and slot 6 (grid at 5 min) is out: the walk must step past such slots, not stop or loop.
        var grid = NewJob() with { JitterMs = 50_000 };
        var job = grid with { NextDueAt = grid.NextDueAt + JobGrid.Jitter(grid, grid.NextSlot) };
        var plan = BackfillLedger.Plan(job, Min(0), Min(4) + TimeSpan.FromMilliseconds(1), Min(60));
        long last = JobGrid.Jitter(job, 5) == TimeSpan.Zero ? 5 : 4;
        Assert.Equal(Enumerable.Range(1, (int)last).Select(s => (long)s), plan.Slots.Select(s => s.Slot));
        Assert.All(plan.Slots, s => Assert.Equal(Min(s.Slot - 1) + JobGrid.Jitter(job, s.Slot), s.DueAt));
    }
}
