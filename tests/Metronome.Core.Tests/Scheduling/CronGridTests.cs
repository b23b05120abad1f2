using Cronos;
using Metronome.Core.Jobs;
using Metronome.Core.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Core.Tests.Scheduling;

/// <summary>
/// Cron grids as the planner walks them, slot by slot on a fake clock: daylight-saving transitions in both directions,
/// leap days, L/W/#, and year-long sequences compared with Cronos's own occurrences.
/// </summary>
public sealed class CronGridTests
{
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(5);

    internal static Job CronJob(string cron, string zone, DateTimeOffset created, DateTimeOffset? startAt = null, long jitterMs = 0,
        MisfirePolicy misfire = MisfirePolicy.FireOnce, OverlapPolicy overlap = OverlapPolicy.Skip, int catchUpLimit = 100,
        long executions = 0, DateTimeOffset? endAt = null) =>
        JobTransitions.Create("shop", new JobSpec
        {
            Name = "Cron", Tag = "cron-job", EventType = "action", EventTag = "ping", Executions = executions,
            Cron = cron, TimeZone = zone, JitterMs = jitterMs, StartAt = startAt, EndAt = endAt, Misfire = misfire, Overlap = overlap,
            CatchUpLimit = catchUpLimit,
        }, created) with { Id = 7 };

    /// <summary>Runs the job on a fake clock that jumps to each due instant: the slots the planner fires, in order.</summary>
    internal static List<(long Slot, DateTimeOffset At)> Fire(Job job, FakeTimeProvider clock, DateTimeOffset until)
    {
        var fired = new List<(long, DateTimeOffset)>();
        while (job.ScheduledDueAt is { } due && due < until)
        {
            if (due > clock.GetUtcNow()) clock.SetUtcNow(due);
            var plan = SlotPlanner.Plan(job, clock.GetUtcNow(), Threshold);
            if (plan.Slots.Count == 0)
            {
                Assert.Equal(JobStatus.Completed, plan.Next.Status); // a due job fires, unless it is past its end
                break;
            }
            fired.AddRange(plan.Slots.Select(s => (s.Slot, s.ScheduledAt)));
            job = plan.Next with { InFlight = 0 };
        }
        return fired;
    }

    private static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    private static IEnumerable<DateTimeOffset> Cronos(string cron, string zone, DateTimeOffset from, DateTimeOffset to) =>
        CronExpression.Parse(cron, cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard)
            .GetOccurrences(from, to, TimeZoneInfo.FindSystemTimeZoneById(zone), fromInclusive: true, toInclusive: false);

    // (zone, expression, from, expected UTC instants): Vixie cron rules. A fixed time in the skipped hour runs once at the jump;
    // a fixed time in the repeated hour runs once (the first); an interval expression keeps its real-time spacing.
    public static TheoryData<string, string, string, string[]> DstCases => new()
    {
        // Berlin spring forward 2026-03-29 02:00 CET → 03:00 CEST: 02:30 does not exist, it runs at the jump (01:00Z).
        { "Europe/Berlin", "30 2 * * *", "2026-03-28T00:00:00Z", ["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"] },
        // Berlin fall back 2026-10-25 03:00 CEST → 02:00 CET: 02:30 happens twice, runs once (the first, CEST).
        { "Europe/Berlin", "30 2 * * *", "2026-10-24T00:00:00Z", ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"] },
        // ...while every 30 minutes keeps its spacing through the repeated hour (both 02:00 and both 02:30).
        { "Europe/Berlin", "*/30 2 * * *", "2026-10-25T00:00:00Z", ["2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z"] },
        // New York spring forward 2026-03-08 02:00 EST → 03:00 EDT.
        { "America/New_York", "15 2 * * *", "2026-03-07T00:00:00Z", ["2026-03-07T07:15:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:15:00Z"] },
        // New York fall back 2026-11-01 02:00 EDT → 01:00 EST: 01:15 once (EDT).
        { "America/New_York", "15 1 * * *", "2026-10-31T00:00:00Z", ["2026-10-31T05:15:00Z", "2026-11-01T05:15:00Z", "2026-11-02T06:15:00Z"] },
        // Lord Howe: a 30-minute shift. Spring 2026-10-04 02:00 (+10:30) → 02:30 (+11): 02:10 does not exist, runs at the jump.
        { "Australia/Lord_Howe", "10 2 * * *", "2026-10-02T12:00:00Z", ["2026-10-02T15:40:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:10:00Z"] },
        // Lord Howe autumn 2026-04-05 02:00 (+11) → 01:30 (+10:30): 01:45 happens twice, runs once (the first, +11).
        { "Australia/Lord_Howe", "45 1 * * *", "2026-04-03T12:00:00Z", ["2026-04-03T14:45:00Z", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"] },
    };

    [Theory]
    [MemberData(nameof(DstCases))]
    public void Daylight_saving_transitions_follow_vixie_cron(string zone, string cron, string from, string[] expected)
    {
        var clock = new FakeTimeProvider(Utc(from));
        var job = CronJob(cron, zone, clock.GetUtcNow());
        var fired = Fire(job, clock, Utc(expected[^1]).AddSeconds(1));
        Assert.Equal(expected.Select(Utc), fired.Select(f => f.At));
        Assert.Equal(Enumerable.Range(1, expected.Length).Select(i => (long)i), fired.Select(f => f.Slot));
        Assert.Equal(Cronos(cron, zone, Utc(from), Utc(expected[^1]).AddSeconds(1)), fired.Select(f => f.At));
    }

    [Theory]
    [InlineData("0 0 29 2 *", "UTC", new[] { "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z" })]
    [InlineData("0 12 L * *", "UTC", new[] { "2026-01-31T12:00:00Z", "2026-02-28T12:00:00Z", "2026-03-31T12:00:00Z", "2026-04-30T12:00:00Z" })]
    [InlineData("0 9 15W * *", "UTC", new[] { "2026-01-15T09:00:00Z", "2026-02-16T09:00:00Z", "2026-03-16T09:00:00Z", "2026-04-15T09:00:00Z" })]
    [InlineData("0 10 * * 5#3", "UTC", new[] { "2026-01-16T10:00:00Z", "2026-02-20T10:00:00Z", "2026-03-20T10:00:00Z", "2026-04-17T10:00:00Z" })]
    [InlineData("@monthly", "Europe/Berlin", new[] { "2026-01-31T23:00:00Z", "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z" })]
    public void Leap_days_last_nearest_weekday_nth_weekday_and_macros(string cron, string zone, string[] expected)
    {
        var clock = new FakeTimeProvider(Utc("2026-01-01T00:00:00Z"));
        var fired = Fire(CronJob(cron, zone, clock.GetUtcNow()), clock, Utc(expected[^1]).AddSeconds(1));
        Assert.Equal(expected.Select(Utc), fired.Select(f => f.At));
    }

    [Theory]
    [InlineData("*/15 * * * *", "Europe/Berlin")]
    [InlineData("0 */3 * * 1-5", "America/New_York")]
    [InlineData("30 1,2,3 * * *", "Australia/Lord_Howe")]
    [InlineData("0 0 L-2 * *", "Europe/Berlin")]
    [InlineData("0 30 2 * * 0#1", "America/New_York")]
    public void A_year_of_slots_equals_the_occurrences_cronos_computes(string cron, string zone)
    {
        var from = Utc("2026-01-01T00:00:00Z");
        var until = Utc("2027-01-01T00:00:00Z");
        var clock = new FakeTimeProvider(from);
        var fired = Fire(CronJob(cron, zone, from), clock, until);
        var expected = Cronos(cron, zone, from, until).ToList();
        Assert.True(expected.Count > 10);
        Assert.Equal(expected, fired.Select(f => f.At));
        Assert.Equal(Enumerable.Range(1, expected.Count).Select(i => (long)i), fired.Select(f => f.Slot));
    }

    [Fact]
    public void Slot_one_is_the_first_occurrence_at_or_after_start_at()
    {
        var now = Utc("2026-05-01T10:00:00Z");
        Assert.Equal(Utc("2026-05-01T10:00:00Z"), CronJob("0 * * * *", "UTC", now).NextDueAt);             // at: inclusive
        Assert.Equal(Utc("2026-05-03T11:00:00Z"), CronJob("0 * * * *", "UTC", now, Utc("2026-05-03T10:00:01Z")).NextDueAt);
        Assert.Equal(Utc("2026-05-01T11:00:00Z"), CronJob("0 * * * *", "UTC", now.AddSeconds(1), Utc("2020-01-01T00:00:00Z")).NextDueAt); // past start: now
    }

    [Fact]
    public void Slots_in_a_range_number_past_and_future_slots_as_the_planner_does()
    {
        var from = Utc("2026-03-27T00:00:00Z");
        var clock = new FakeTimeProvider(from);
        var job = CronJob("0 */6 * * *", "Europe/Berlin", from);
        var fired = Fire(job, clock, Utc("2026-03-31T00:00:00Z"));
        // Advance the job to the middle of that range, then ask the grid for slots before and after its anchor.
        var mid = job;
        foreach (var _ in Enumerable.Range(0, 7)) mid = SlotPlanner.Plan(mid, mid.NextDueAt, Threshold).Next with { InFlight = 0 };
        Assert.Equal(8, mid.NextSlot);
        var grid = JobGrid.SlotsIn(mid, from, Utc("2026-03-31T00:00:00Z")).ToList();
        Assert.Equal(fired, grid);
        Assert.Equal(fired.Skip(3).Take(4), JobGrid.SlotsIn(mid, fired[3].At, fired[7].At));
    }

    [Fact]
    public void Next_runs_are_the_next_grid_instants_after_now_across_a_dst_jump()
    {
        var now = Utc("2026-03-28T12:00:00Z");
        var job = CronJob("30 2 * * *", "Europe/Berlin", now);
        var expected = Cronos("30 2 * * *", "Europe/Berlin", now, now.AddDays(10)).Take(5);
        Assert.Equal(expected, JobGrid.NextRuns(job, now, 5));
        Assert.Equal(Utc("2026-03-29T01:00:00Z"), JobGrid.NextRuns(job, now, 5)[0]);
        // A job behind its grid (nobody claimed for days) shows what lies after now, not its overdue slot.
        Assert.Equal(Cronos("30 2 * * *", "Europe/Berlin", now.AddDays(3), now.AddDays(13)).Take(5), JobGrid.NextRuns(job, now.AddDays(3), 5));
        Assert.Empty(JobGrid.NextRuns(job with { Status = JobStatus.Paused }, now, 5));
        Assert.Equal(2, JobGrid.NextRuns(job with { Executions = 2 }, now, 5).Count);
    }

    [Fact]
    public void Resume_goes_to_the_next_occurrence_after_now_with_the_slots_passed_counted()
    {
        var created = Utc("2026-06-01T00:00:00Z");
        var job = CronJob("0 * * * *", "UTC", created); // slot 1 at 00:00
        var paused = JobTransitions.Pause(job, created);
        var resumed = JobTransitions.Resume(paused, Utc("2026-06-01T05:30:00Z"));
        Assert.Equal(Utc("2026-06-01T06:00:00Z"), resumed.NextDueAt);
        Assert.Equal(7, resumed.NextSlot); // 00:00 … 05:00 passed: six slots
    }

    [Fact]
    public void Updating_the_expression_re_anchors_after_now_and_keeps_slot_numbers_monotonic()
    {
        var created = Utc("2026-06-01T00:00:00Z");
        var job = SlotPlanner.Plan(CronJob("0 * * * *", "UTC", created), created, Threshold).Next with { InFlight = 0 };
        Assert.Equal(2, job.NextSlot);
        var now = Utc("2026-06-01T00:10:00Z");
        var updated = JobTransitions.Update(job, new JobChanges { Cron = "*/20 * * * *", TimeZone = "Europe/Berlin" }, now);
        Assert.Equal((2L, Utc("2026-06-01T00:20:00Z")), (updated.NextSlot, updated.NextDueAt));
        var toInterval = JobTransitions.Update(updated, new JobChanges { IntervalMs = 60_000 }, now);
        Assert.Null(toInterval.Cron);
        Assert.Equal((2L, now.AddMinutes(1)), (toInterval.NextSlot, toInterval.NextDueAt));
        var toCron = JobTransitions.Update(toInterval, new JobChanges { Cron = "0 0 * * *", TimeZone = "UTC" }, now);
        Assert.Equal((0L, 2L, Utc("2026-06-02T00:00:00Z")), (toCron.IntervalMs, toCron.NextSlot, toCron.NextDueAt));
    }
}
