using Cronos;
using Metronome.Core.Execution;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;

namespace Metronome.Storage.Conformance;

/// <summary>Cron schedules (issue 14) on every store: the new columns, and a cron job's claims.</summary>
public abstract partial class JobStoreConformanceTests
{
    private static Job CronJob(string tag, string cron, string zone = "UTC", long jitterMs = 0, int catchUpLimit = 100,
        MisfirePolicy misfire = MisfirePolicy.CatchUp) =>
        JobTransitions.Create(Product, new JobSpec
        {
            Name = $"Job {tag}", Tag = tag, EventType = "action", EventTag = "ping", Cron = cron, TimeZone = zone,
            JitterMs = jitterMs, CatchUpLimit = catchUpLimit, Misfire = misfire, Overlap = OverlapPolicy.Allow,
        }, Start);

    [Fact]
    public async Task Cron_columns_round_trip()
    {
        var created = await CreateAsync(CronJob("cron-cols", "0 30 2 * * 1-5", "Europe/Berlin", jitterMs: 1234, catchUpLimit: 7));
        var read = await ReloadAsync(created);
        Assert.Equal(("0 30 2 * * 1-5", "Europe/Berlin", 1234L, 7, 0L), (read.Cron, read.TimeZone, read.JitterMs, read.CatchUpLimit, read.IntervalMs));
        Assert.Equal(created, read);

        await Jobs.ModifyJobAsync(Product, "cron-cols", j => j with { Cron = "@hourly", TimeZone = "America/New_York", JitterMs = 0, CatchUpLimit = 0 }, default);
        var changed = await ReloadAsync(created);
        Assert.Equal(("@hourly", "America/New_York", 0L, 0), (changed.Cron, changed.TimeZone, changed.JitterMs, changed.CatchUpLimit));

        var interval = await ReloadAsync(await CreateAsync(NewJob("interval-cols")));
        Assert.Equal(((string?)null, "UTC", 0L, 100), (interval.Cron, interval.TimeZone, interval.JitterMs, interval.CatchUpLimit));
    }

    [Fact]
    public async Task Claims_of_a_cron_job_give_its_occurrences_as_slots()
    {
        var job = await CreateAsync(CronJob("cron-claim", "*/2 * * * * *"));
        var result = await ClaimAsync(At(7.5), job.Id);

        var expected = CronExpression.Parse("*/2 * * * * *", CronFormat.IncludeSeconds).GetOccurrences(Start, At(7.5), TimeZoneInfo.Utc).ToList();
        Assert.Equal([At(0), At(2), At(4), At(6)], expected);
        Assert.Equal([1L, 2L, 3L, 4L], result.Runs.Select(r => r.Run.Slot));
        Assert.Equal(expected, result.Runs.Select(r => r.Run.ScheduledAt));
        var stored = await ReloadAsync(job);
        Assert.Equal((5L, At(8)), (stored.NextSlot, stored.NextDueAt));

        var next = await ClaimAsync(At(8), job.Id);
        Assert.Equal([(5L, At(8))], next.Runs.Select(r => (r.Run.Slot, r.Run.ScheduledAt)));
    }

    [Fact]
    public async Task Cron_slots_beyond_catch_up_limit_are_one_stored_misfire_run()
    {
        // A per-minute job, nobody claimed for two hours (beyond the one-hour misfire threshold): 121 occurrences missed.
        var job = await CreateAsync(CronJob("cron-misfire", "* * * * *", catchUpLimit: 3));
        var first = await ClaimAsync(At(7200.5), job.Id);
        Assert.Equal([119L, 120L, 121L], first.Runs.Select(r => r.Run.Slot));

        var skipped = Assert.Single(await RunsOfAsync("cron-misfire"), r => r.Status == RunStatus.Skipped);
        Assert.Equal((1L, 118L, ErrorKinds.Misfire, Start), (skipped.Slot, skipped.SkippedCount, skipped.ErrorKind, skipped.ScheduledAt));
        var stored = await ReloadAsync(job);
        Assert.Equal((skipped.Id, -119L), (stored.SkipRunId, stored.SkipRunNextSlot));
        Assert.Equal(3, stored.ExecutionsDone);
    }

    [Fact]
    public async Task A_jittered_cron_job_is_claimed_at_its_jittered_instant()
    {
        var job = await CreateAsync(CronJob("cron-jitter", "0 * * * *", jitterMs: 60_000));
        var offset = JobGrid.Jitter(job, 1);
        Assert.Equal(Start + offset, job.NextDueAt);
        if (offset > TimeSpan.Zero) Assert.Empty((await ClaimAsync(Start + offset - TimeSpan.FromMilliseconds(1), job.Id)).Runs);
        var result = await ClaimAsync(Start + offset, job.Id);
        Assert.Equal([(1L, Start + offset)], result.Runs.Select(r => (r.Run.Slot, r.Run.ScheduledAt)));
        var stored = await ReloadAsync(job);
        Assert.Equal((2L, Start.AddHours(1) + JobGrid.Jitter(job, 2)), (stored.NextSlot, stored.NextDueAt));
    }

    [Fact]
    public async Task A_huge_cron_gap_is_shed_over_several_claims_into_the_same_misfire_run()
    {
        // A per-second job missed for six hours: 21,601 occurrences, more than one claim walks (SlotPlanner.MaxWalk).
        var job = await CreateAsync(CronJob("cron-gap", "* * * * * *", catchUpLimit: 3));
        var now = At(6 * 3600 + 0.5);
        var ran = new List<long>();
        for (int i = 0; i < 10 && ran.Count < 3; i++)
            ran.AddRange((await ClaimAsync(now, job.Id)).Runs.Select(r => r.Run.Slot));
        Assert.Equal([21_599L, 21_600L, 21_601L], ran);
        var skipped = Assert.Single(await RunsOfAsync("cron-gap"), r => r.Status == RunStatus.Skipped);
        Assert.Equal((1L, 21_598L, ErrorKinds.Misfire), (skipped.Slot, skipped.SkippedCount, skipped.ErrorKind));
    }
}
