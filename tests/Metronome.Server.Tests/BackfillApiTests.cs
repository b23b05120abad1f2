using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

/// <summary><c>POST /api/products/{product}/jobs/{tag}/backfill</c> on a real server against a real HTTP target (SPEC §6).</summary>
public sealed class BackfillApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Admin => fixture.Server.Admin;

    private static StringContent Range(DateTimeOffset from, DateTimeOffset to) =>
        TestApi.Json(new JobBackfillRequest { From = from.ToString("O"), To = to.ToString("O") });

    private static string Backfill(string product, string tag) => Routes.Job(product, tag) + "/backfill";

    private Task<IReadOnlyList<JobRun>> RunsAsync(string product, string tag) =>
        Task.Run(async () => (IReadOnlyList<JobRun>)(await Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, tag) + "?limit=1000")).Items);

    [Fact]
    public async Task Slots_missed_while_paused_run_once_each_in_order_with_their_own_keys_and_a_repeat_queues_nothing()
    {
        var product = (await fixture.Server.CreateProductAsync()).Tag!;
        var ev = await Admin.CreateActionEventAsync(product, fixture.Target.Url);
        var definition = TestApi.Job(ev.Tag!, intervals: 1000);
        definition.Misfire = "skip";
        var job = await Admin.CreateJobAsync(product, definition);
        var tag = job.Tag!;

        await TestApi.EventuallyAsync(() => RunsAsync(product, tag), runs => runs.Any(r => r.Status == "succeeded"), TimeSpan.FromSeconds(15));
        await (await Admin.PostAsync(Routes.Job(product, tag) + "/pause", null)).ExpectAsync(200);
        var pausedAt = (await RunsAsync(product, tag)).Max(r => r.Slot);
        await Task.Delay(TimeSpan.FromSeconds(3.5)); // three or more slots pass unrun
        await (await Admin.PostAsync(Routes.Job(product, tag) + "/resume", null)).ExpectAsync(200);
        // A slot after the resume has run, so every gap in the history lies below the job's next slot.
        var before = await TestApi.EventuallyAsync(() => RunsAsync(product, tag),
            runs => runs.Any(r => r.Slot > pausedAt + 3 && r.Status == "succeeded"), TimeSpan.FromSeconds(15));
        var had = before.Select(r => r.Slot).ToHashSet();
        var gap = Enumerable.Range(1, (int)had.Max()).Select(s => (long)s).Where(s => !had.Contains(s)).ToList();
        Assert.True(gap.Count >= 3, $"slots missed while paused: {string.Join(",", gap)}");

        var response = await Admin.PostAsync(Backfill(product, tag), Range(job.CreatedAt!.Value.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1)));
        var accepted = await response.ReadAsync<JobBackfillResponse>();
        Assert.Equal(202, (int)response.StatusCode);
        Assert.Equal(gap.Count, accepted.Slots);

        var keys = gap.Select(s => $"{product}/{tag}/{s}").ToList();
        await TestApi.EventuallyAsync(() => Task.FromResult(fixture.Target.Requests.Count(r => keys.Contains(r.IdempotencyKey))),
            n => n >= keys.Count, TimeSpan.FromSeconds(30));
        var runs = await TestApi.EventuallyAsync(() => RunsAsync(product, tag),
            all => gap.All(s => all.Any(r => r.Slot == s && r.Status == "succeeded")), TimeSpan.FromSeconds(15));

        // Each missing slot ran once, in slot order, with its own key; the slots that had runs were not run again.
        var received = fixture.Target.Requests.Where(r => keys.Contains(r.IdempotencyKey)).Select(r => r.IdempotencyKey).ToList();
        Assert.Equal(keys, received);
        foreach (var slot in had)
            Assert.Equal(1, fixture.Target.Requests.Count(r => r.IdempotencyKey == $"{product}/{tag}/{slot}"));
        Assert.All(gap, s => Assert.Single(runs, r => r.Slot == s));

        var again = await Admin.PostAsync(Backfill(product, tag), Range(job.CreatedAt!.Value.AddMinutes(-1), DateTimeOffset.UtcNow));
        Assert.Equal(202, (int)again.StatusCode);
        Assert.Equal(0, (await again.ReadAsync<JobBackfillResponse>()).Slots);

        // Each call is audited as job.backfill by the admin, with the range and the number of slots it queued.
        var audited = (await Admin.GetJsonAsync<Page<AuditLogEntry>>(Routes.Audit(product))).Items.Where(i => i.Action == "job.backfill").ToList();
        Assert.Equal(2, audited.Count);
        Assert.All(audited, a => Assert.Equal((tag, "admin"), (a.Target, a.Actor)));
        Assert.Equal([0L, gap.Count], audited.Select(a => a.Changes["slots"].New!.Value.GetInt64()));
        Assert.Equal(job.CreatedAt!.Value.AddMinutes(-1), audited[1].Changes["from"].New!.Value.GetDateTimeOffset());
        Assert.True(audited[1].Changes.ContainsKey("to"));
    }

    [Fact]
    public async Task A_bad_range_is_400_naming_the_field_and_an_unknown_job_404()
    {
        var product = (await fixture.Server.CreateProductAsync()).Tag!;
        var ev = await Admin.CreateActionEventAsync(product, fixture.Target.Url);
        var job = await Admin.CreateJobAsync(product, TestApi.Job(ev.Tag!));
        var now = DateTimeOffset.UtcNow;

        var backwards = await (await Admin.PostAsync(Backfill(product, job.Tag!), Range(now, now.AddHours(-1)))).ExpectAsync(400);
        Assert.Contains("\"from\"", backwards, StringComparison.Ordinal);
        var missing = await (await Admin.PostAsync(Backfill(product, job.Tag!), TestApi.Raw("""{"from":"yesterday"}"""))).ExpectAsync(400);
        Assert.Contains("\"to\"", missing, StringComparison.Ordinal);
        Assert.Contains("\"from\"", missing, StringComparison.Ordinal);
        await (await Admin.PostAsync(Backfill(product, "no-such-job"), Range(now.AddHours(-1), now))).ExpectAsync(404);
    }

    [Fact]
    public async Task More_than_ten_thousand_slots_in_the_range_is_400_and_queues_nothing()
    {
        await using var server = await TestServer.StartAsync(settings: new Dictionary<string, string?> { ["METRONOME_MIN_INTERVAL_MS"] = "1" });
        var admin = server.Admin;
        var product = (await server.CreateProductAsync()).Tag!;
        var ev = await admin.CreateActionEventAsync(product, fixture.Target.Url);
        var job = await admin.CreateJobAsync(product, TestApi.Job(ev.Tag!, intervals: 1));
        // Paused at once (a few 1 ms slots may run first), 1 ms slots then pass unrun; the resume moves the job past them.
        await (await admin.PostAsync(Routes.Job(product, job.Tag!) + "/pause", null)).ExpectAsync(200);
        await Task.Delay(TimeSpan.FromSeconds(10.5));
        await (await admin.PostAsync(Routes.Job(product, job.Tag!) + "/resume", null)).ExpectAsync(200);
        await (await admin.PostAsync(Routes.Job(product, job.Tag!) + "/pause", null)).ExpectAsync(200);
        await Task.Delay(TimeSpan.FromMilliseconds(500)); // what ran between resume and pause has finished
        var runsBefore = (await admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job.Tag!) + "?limit=1000")).Items.Count;

        var body = await (await admin.PostAsync(Backfill(product, job.Tag!), Range(job.CreatedAt!.Value, DateTimeOffset.UtcNow))).ExpectAsync(400);
        Assert.Contains("10000", body, StringComparison.Ordinal);
        Assert.Equal(runsBefore, (await admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job.Tag!) + "?limit=1000")).Items.Count);
    }
}
