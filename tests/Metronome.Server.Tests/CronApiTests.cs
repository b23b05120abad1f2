using System.Text.Json;
using Cronos;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

/// <summary>Cron schedules over the REST API of a real server (SPEC §6): firing on the second, next_runs, preview, 400s.</summary>
public sealed class CronApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Admin => fixture.Server.Admin;

    private async Task<(string Product, string Event)> ProductAsync()
    {
        var product = (await fixture.Server.CreateProductAsync()).Tag!;
        var ev = await Admin.CreateActionEventAsync(product, fixture.Target.Url);
        return (product, ev.Tag!);
    }

    private static ProductJob CronJob(string eventTag, string cron, string? zone = null, string? startAt = null, long executions = 0) => new()
    {
        Name = "Cron job", Tag = TestApi.Unique("cron"), EventType = "action", EventTag = eventTag, Executions = executions,
        Cron = cron, TimeZone = zone, StartAt = startAt,
    };

    private static List<DateTimeOffset> Cronos(string cron, string zone, DateTimeOffset from, int count) =>
        [.. CronExpression.Parse(cron, cron.Split(' ').Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard)
            .GetOccurrences(from, from.AddYears(2), TimeZoneInfo.FindSystemTimeZoneById(zone)).Take(count)];

    [Fact]
    public async Task A_cron_job_with_seconds_fires_on_the_second()
    {
        var (product, ev) = await ProductAsync();
        var job = await Admin.CreateJobAsync(product, CronJob(ev, "*/2 * * * * *", executions: 3));
        Assert.Equal(("*/2 * * * * *", "UTC", (long?)null), (job.Cron, job.TimeZone, job.Intervals));

        var done = await TestApi.EventuallyAsync(() => Admin.GetJsonAsync<ProductJob>(Routes.Job(product, job.Tag!)),
            j => j.Status == "completed", TimeSpan.FromSeconds(30));
        Assert.Equal(("completed", 3L), (done.Status, done.ExecutionsDone));
        var runs = (await Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job.Tag!))).Items.OrderBy(r => r.Slot).ToList();
        Assert.Equal([1L, 2L, 3L], runs.Select(r => r.Slot));
        Assert.All(runs, r =>
        {
            var at = r.ScheduledAt!.Value;
            Assert.Equal(0, at.Millisecond);               // whole seconds
            Assert.Equal(0, at.Second % 2);                // on the */2 grid
            Assert.True(at >= job.CreatedAt!.Value.AddSeconds(-1), $"{at:O} before creation");
            var late = r.StartedAt!.Value - at;            // a noisy 2-core machine: tolerant, but on the second, not a grid of its own
            Assert.InRange(late.TotalMilliseconds, 0, 1500);
        });
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)], runs.Zip(runs.Skip(1), (a, b) => b.ScheduledAt!.Value - a.ScheduledAt!.Value));
    }

    [Theory]
    [InlineData("Europe/Berlin", "30 2 * * *", "2030-03-29T12:00:00Z")]      // spring forward 2030-03-31: 02:30 runs at the jump
    [InlineData("Europe/Berlin", "*/30 1-3 * * *", "2030-10-26T23:00:00Z")]  // fall back 2030-10-27: the repeated hour keeps its spacing
    [InlineData("America/New_York", "0 2 * * *", "2030-03-09T12:00:00Z")]    // spring forward 2030-03-10
    public async Task Next_runs_across_a_dst_jump_equal_what_cronos_computes(string zone, string cron, string startAt)
    {
        var (product, ev) = await ProductAsync();
        var job = await Admin.CreateJobAsync(product, CronJob(ev, cron, zone, startAt));
        var expected = Cronos(cron, zone, DateTimeOffset.Parse(startAt), 5);
        Assert.Equal(expected[0], job.NextRunAt);

        var text = await (await Admin.GetAsync(Routes.Job(product, job.Tag!))).ExpectAsync(200);
        var read = JsonSerializer.Deserialize<ProductJob>(text, MetronomeJson.Options)!;
        Assert.Equal(expected, read.NextRuns);
        Assert.Equal((zone, cron), (read.TimeZone, read.Cron));
        using var doc = JsonDocument.Parse(text);
        Assert.Equal(5, doc.RootElement.GetProperty("next_runs").GetArrayLength());

        // Only GET of one job shows next_runs, not the list.
        var list = await (await Admin.GetAsync(Routes.Jobs(product))).ExpectAsync(200);
        using var listDoc = JsonDocument.Parse(list);
        Assert.All(listDoc.RootElement.GetProperty("items").EnumerateArray(), j => Assert.False(j.TryGetProperty("next_runs", out _)));
    }

    [Theory]
    [InlineData("""{"intervals":60000,"cron":"* * * * *"}""", "cron", "intervals")]      // both
    [InlineData("""{}""", "intervals", "cron")]                                          // neither
    [InlineData("""{"cron":"61 * * * *"}""", "cron", "cron")]                            // bad expression
    [InlineData("""{"cron":"* * * *"}""", "cron", "5 fields")]                           // wrong field count
    [InlineData("""{"cron":"0 0 30 2 *"}""", "cron", "never")]                           // never fires
    [InlineData("""{"cron":"@daily","time_zone":"Mars/Olympus_Mons"}""", "time_zone", "Mars/Olympus_Mons")] // unknown zone
    [InlineData("""{"cron":"@daily","jitter_ms":-1}""", "jitter_ms", "jitter_ms")]
    [InlineData("""{"intervals":1000,"jitter_ms":1000}""", "jitter_ms", "less than intervals")]
    [InlineData("""{"cron":"@daily","catch_up_limit":10001}""", "catch_up_limit", "catch_up_limit")]
    public async Task Invalid_schedules_answer_400_naming_the_field(string schedule, string field, string mentioned)
    {
        var (product, ev) = await ProductAsync();
        var body = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(schedule)!;
        body["name"] = JsonSerializer.SerializeToElement("Job");
        body["tag"] = JsonSerializer.SerializeToElement(TestApi.Unique("bad"));
        body["event_type"] = JsonSerializer.SerializeToElement("action");
        body["event_tag"] = JsonSerializer.SerializeToElement(ev);
        body["executions"] = JsonSerializer.SerializeToElement(0);
        var response = await Admin.PostAsync(Routes.Jobs(product), TestApi.Raw(JsonSerializer.Serialize(body)));
        var problem = await response.ExpectAsync(400);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = ValidationTests.Errors(problem);
        Assert.True(errors.ContainsKey(field), problem);
        Assert.Contains(mentioned, string.Join(" ", errors[field]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Updates_switch_between_intervals_and_cron_and_refuse_both()
    {
        var (product, ev) = await ProductAsync();
        var job = await Admin.CreateJobAsync(product, TestApi.Job(ev));
        var toCron = await (await Admin.PatchAsync(Routes.Job(product, job.Tag!), TestApi.Raw("""{"cron":"0 9 * * 1-5","time_zone":"Europe/Berlin","jitter_ms":5000,"catch_up_limit":7}""")))
            .ExpectAsync(200);
        var cron = JsonSerializer.Deserialize<ProductJob>(toCron, MetronomeJson.Options)!;
        Assert.Equal(("0 9 * * 1-5", "Europe/Berlin", 5000L, 7, (long?)null), (cron.Cron, cron.TimeZone, cron.JitterMs, cron.CatchUpLimit, cron.Intervals));
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var local = TimeZoneInfo.ConvertTime(cron.NextRunAt!.Value, berlin);
        Assert.Equal(9, local.Hour);
        Assert.InRange(local.Minute * 60 + local.Second, 0, 5);

        var both = await (await Admin.PatchAsync(Routes.Job(product, job.Tag!), TestApi.Raw("""{"cron":"@hourly","intervals":60000}"""))).ExpectAsync(400);
        Assert.True(ValidationTests.Errors(both).ContainsKey("cron"), both);

        var back = JsonSerializer.Deserialize<ProductJob>(
            await (await Admin.PatchAsync(Routes.Job(product, job.Tag!), TestApi.Raw("""{"intervals":60000,"jitter_ms":0}"""))).ExpectAsync(200), MetronomeJson.Options)!;
        Assert.Equal(((string?)null, 60000L), (back.Cron, back.Intervals));
    }

    [Fact]
    public async Task Schedule_preview_gives_the_next_five_instants_or_400()
    {
        var (product, _) = await ProductAsync();
        var ok = await (await Admin.PostAsync(Routes.SchedulePreview(product),
            TestApi.Raw("""{"cron":"0 30 1 * * *","time_zone":"America/New_York","start_at":"2030-11-01T00:00:00Z"}"""))).ExpectAsync(200);
        var preview = JsonSerializer.Deserialize<SchedulePreview>(ok, MetronomeJson.Options)!;
        Assert.Equal(Cronos("0 30 1 * * *", "America/New_York", DateTimeOffset.Parse("2030-11-01T00:00:00Z"), 5), preview.NextRuns);

        var intervals = JsonSerializer.Deserialize<SchedulePreview>(await (await Admin.PostAsync(Routes.SchedulePreview(product),
            TestApi.Raw("""{"intervals":60000,"start_at":"2030-01-01T00:00:00Z"}"""))).ExpectAsync(200), MetronomeJson.Options)!;
        var start = DateTimeOffset.Parse("2030-01-01T00:00:00Z");
        Assert.Equal(Enumerable.Range(0, 5).Select(i => start.AddMinutes(i)), intervals.NextRuns);

        var bad = await (await Admin.PostAsync(Routes.SchedulePreview(product), TestApi.Raw("""{"cron":"nonsense here","time_zone":"Nowhere/Land"}"""))).ExpectAsync(400);
        var errors = ValidationTests.Errors(bad);
        Assert.True(errors.ContainsKey("cron") && errors.ContainsKey("time_zone"), bad);
        await (await Admin.PostAsync(Routes.SchedulePreview("no-such-product"), TestApi.Raw("""{"cron":"@daily"}"""))).ExpectAsync(404);
    }
}
