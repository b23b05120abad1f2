using System.Net;
using Cronos;
using Metronome.Client.Tests.Infrastructure;
using Metronome.Contracts;

namespace Metronome.Client.Tests;

/// <summary>Cron schedules through the SDK against a real server process: typed fields, next_runs, preview, 400s.</summary>
[Collection(ServerCollection.Name)]
public sealed class CronClientTests(ServerFixture fixture)
{
    private static ProductJob CronJob(string tag) => new()
    {
        Name = "Weekdays", Tag = tag, EventType = JobEventTypes.Function, EventTag = "sum", Executions = 0,
        Cron = "0 9 * * 1-5", TimeZone = "Europe/Berlin", JitterMs = 2_000, CatchUpLimit = 5, Misfire = "catch_up",
        StartAt = "2031-03-28T00:00:00Z",
    };

    [Fact]
    public async Task Cron_fields_round_trip_and_fetch_gives_next_runs()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        var created = await jobs.CreateAsync(CronJob("weekdays"));
        Assert.Equal(("0 9 * * 1-5", "Europe/Berlin", 2_000L, 5, (long?)null), (created.Cron, created.TimeZone, created.JitterMs, created.CatchUpLimit, created.Intervals));
        Assert.Null(created.NextRuns); // only a fetch of one job carries next_runs

        var fetched = await jobs.FetchAsync("weekdays");
        var expected = CronExpression.Parse("0 9 * * 1-5").GetOccurrences(DateTimeOffset.Parse("2031-03-28T00:00:00Z"), DateTimeOffset.Parse("2031-05-01T00:00:00Z"),
            TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).Take(5);
        Assert.Equal(expected, fetched.NextRuns); // across the 2031-03-30 jump: 08:00Z before, 07:00Z after
        Assert.Null((await jobs.FetchAllAsync()).Single().NextRuns);

        var updated = await jobs.UpdateAsync("weekdays", new ProductJobUpdate { Cron = "@hourly", TimeZone = "UTC", JitterMs = 0, CatchUpLimit = 1 });
        Assert.Equal(("@hourly", "UTC", 0L, 1), (updated.Cron, updated.TimeZone, updated.JitterMs, updated.CatchUpLimit));
    }

    [Fact]
    public async Task Preview_schedule_gives_five_instants_and_bad_input_throws_400_naming_the_field()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        var preview = await jobs.PreviewScheduleAsync(new SchedulePreviewRequest { Cron = "@daily", TimeZone = "America/New_York", StartAt = "2031-01-01T00:00:00Z" });
        Assert.Equal(Enumerable.Range(0, 5).Select(d => DateTimeOffset.Parse("2031-01-01T05:00:00Z").AddDays(d)), preview.NextRuns);

        var e = await Assert.ThrowsAsync<MetronomeApiException>(() => jobs.PreviewScheduleAsync(new SchedulePreviewRequest { Cron = "0 0 * *", TimeZone = "Nowhere" }));
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Contains("cron", e.Errors.Keys);
        Assert.Contains("time_zone", e.Errors.Keys);

        var both = await Assert.ThrowsAsync<MetronomeApiException>(() => jobs.CreateAsync(new ProductJob
        {
            Name = "Both", Tag = "both", EventType = JobEventTypes.Function, EventTag = "sum", Executions = 0, Intervals = 60_000, Cron = "@daily",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Contains("cron", both.Errors.Keys);
        Assert.Contains("intervals", both.Errors.Keys);
    }
}
