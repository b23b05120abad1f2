using System.Text.Json;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

/// <summary>
/// Failure handling on a real server (issue 14): one <c>on_failure</c> hook per failed slot with <c>{{failed.*}}</c> rendered,
/// the automatic pause after <c>pause_after_failures</c>, the count reset by a success, and pause with <c>until</c>.
/// </summary>
public sealed class FailureHandlingApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Admin => fixture.Server.Admin;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>An action event answered 500 for every attempt, and a hook event posting the failed run's values to /alert-….</summary>
    private async Task<(string Product, string Failing, string Alert, string AlertPath)> SetUpAsync()
    {
        var product = (await fixture.Server.CreateProductAsync()).Tag!;
        var failing = await Admin.CreateActionEventAsync(product, new Uri(fixture.Target.Url + "?fail_first=1000000"));
        var alertPath = "/" + TestApi.Unique("alert");
        var alert = await Admin.CreateEventAsync(product, "action", TestApi.Unique("alert"), new Dictionary<string, object>
        {
            ["method"] = "POST",
            ["url"] = new Uri(fixture.Target.Url, alertPath).ToString(),
            ["body"] = new Dictionary<string, object>
            {
                ["job"] = "{{failed.job_tag}}", ["slot"] = "{{failed.slot}}", ["status"] = "{{failed.status}}",
                ["error"] = "{{failed.error}}", ["run"] = "{{failed.run_id}}",
            },
        });
        return (product, failing.Tag!, alert.Tag!, alertPath);
    }

    private Task<ProductJob> JobAsync(string product, string tag) => Admin.GetJsonAsync<ProductJob>(Routes.Job(product, tag));

    [Fact]
    public async Task A_failing_job_sends_one_on_failure_per_slot_and_pauses_after_N()
    {
        var (product, failing, alert, alertPath) = await SetUpAsync();
        var definition = TestApi.Job(failing, intervals: 300, startAt: "now");
        definition.Retries = new RetryOptions { MaxAttempts = 2, BackoffMs = 50 };
        definition.OnFailure = new JobEventRef { EventType = "action", EventTag = alert };
        definition.PauseAfterFailures = 3;
        var job = await Admin.CreateJobAsync(product, definition);
        Assert.Equal((alert, 3, 0), (job.OnFailure?.EventTag, job.PauseAfterFailures, job.ConsecutiveFailures));

        var paused = await TestApi.EventuallyAsync(() => JobAsync(product, job.Tag!), j => j.Status == "paused", Patience);
        Assert.Equal(("paused", 3, (DateTimeOffset?)null), (paused.Status, paused.ConsecutiveFailures, paused.PausedUntil));

        // Slots that came due while a retry ran are recorded skipped (overlap: skip); they do not count.
        var runs = (await Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job.Tag!))).Items.Where(r => r.Status != "skipped").ToList();
        Assert.Equal(3, runs.Count);
        Assert.All(runs, r => Assert.Equal(("failed", 2), (r.Status, r.Attempt)));
        // Every hook ran (its outcome is on the failed run), then nothing more arrives.
        var settled = await TestApi.EventuallyAsync(() => Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job.Tag!)),
            p => p.Items.Where(r => r.Status != "skipped").All(r => r.OnFailure?.Status == "succeeded"), Patience);
        Assert.All(settled.Items.Where(r => r.Status != "skipped"), r => Assert.Equal("succeeded", r.OnFailure?.Status));
        var alerts = fixture.Target.Requests.Where(r => r.Path == alertPath).ToList();
        Assert.Equal(3, alerts.Count);
        foreach (var run in runs)
        {
            var sent = Assert.Single(alerts, a => a.IdempotencyKey == $"{product}/{job.Tag}/{run.Slot}/on_failure");
            using var body = JsonDocument.Parse(sent.Body);
            Assert.Equal(job.Tag, body.RootElement.GetProperty("job").GetString());
            Assert.Equal(run.Slot, body.RootElement.GetProperty("slot").GetInt64());
            Assert.Equal("failed", body.RootElement.GetProperty("status").GetString());
            Assert.Equal(run.Error?.Message, body.RootElement.GetProperty("error").GetString());
            Assert.Equal(run.Id, body.RootElement.GetProperty("run").GetString());
        }
        // The failing target saw two attempts per slot, and no slot after the pause.
        var keys = fixture.Target.Requests.Where(r => r.Path == fixture.Target.Url.AbsolutePath && r.IdempotencyKey.StartsWith($"{product}/{job.Tag}/", StringComparison.Ordinal))
            .GroupBy(r => r.IdempotencyKey).ToList();
        Assert.Equal(3, keys.Count);
        Assert.All(keys, k => Assert.Equal(2, k.Count()));
    }

    [Fact]
    public async Task A_success_in_between_resets_the_count()
    {
        var (product, failing, _, _) = await SetUpAsync();
        var definition = TestApi.Job(failing, intervals: 300, startAt: "now");
        definition.PauseAfterFailures = 2;
        var job = await Admin.CreateJobAsync(product, definition);
        var once = await TestApi.EventuallyAsync(() => JobAsync(product, job.Tag!), j => j.ConsecutiveFailures >= 1, Patience);
        Assert.Equal("active", once.Status);

        // The target recovers: the next slot succeeds and the count starts again.
        await (await Admin.PatchAsync(Routes.Event(product, "action", failing), TestApi.Json(new ProductEventUpdate
        {
            Definition = JsonSerializer.SerializeToElement(new { method = "POST", url = fixture.Target.Url.ToString() }),
        }))).ExpectAsync(200);
        var healed = await TestApi.EventuallyAsync(() => JobAsync(product, job.Tag!), j => j.LastRunStatus == "succeeded", Patience);
        Assert.Equal((0, "active"), (healed.ConsecutiveFailures, healed.Status));

        // It fails again: two more failures in a row pause it.
        await (await Admin.PatchAsync(Routes.Event(product, "action", failing), TestApi.Json(new ProductEventUpdate
        {
            Definition = JsonSerializer.SerializeToElement(new { method = "POST", url = fixture.Target.Url + "?fail_first=1000000" }),
        }))).ExpectAsync(200);
        var paused = await TestApi.EventuallyAsync(() => JobAsync(product, job.Tag!), j => j.Status == "paused", Patience);
        Assert.Equal(2, paused.ConsecutiveFailures);
        var runs = (await Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job.Tag!) + "?limit=1000")).Items
            .Where(r => r.Status != "skipped").OrderBy(r => r.Slot).ToList();
        Assert.Equal(["failed", "failed"], runs.TakeLast(2).Select(r => r.Status));
        Assert.Contains(runs, r => r.Status == "succeeded");
    }

    [Fact]
    public async Task Pause_with_until_resumes_by_itself_and_fires_again()
    {
        var product = (await fixture.Server.CreateProductAsync()).Tag!;
        var ev = await Admin.CreateActionEventAsync(product, fixture.Target.Url);
        var job = await Admin.CreateJobAsync(product, TestApi.Job(ev.Tag!, intervals: 200, startAt: "now"));
        await TestApi.EventuallyAsync(() => JobAsync(product, job.Tag!), j => j.ExecutionsDone >= 1, Patience);

        var until = DateTimeOffset.UtcNow.AddSeconds(2);
        var response = await Admin.PostAsync(Routes.Job(product, job.Tag!) + "/pause", TestApi.Json(new JobPauseRequest { Until = until }));
        var paused = JsonSerializer.Deserialize<ProductJob>(await response.ExpectAsync(200), MetronomeJson.Options)!;
        Assert.Equal("paused", paused.Status);
        Assert.Equal(until.ToUnixTimeMilliseconds(), paused.PausedUntil?.ToUnixTimeMilliseconds());
        var doneAtPause = (await JobAsync(product, job.Tag!)).ExecutionsDone;

        var resumed = await TestApi.EventuallyAsync(() => JobAsync(product, job.Tag!), j => j.Status == "active", TimeSpan.FromSeconds(10));
        var resumedSeen = DateTimeOffset.UtcNow;
        Assert.Equal("active", resumed.Status);
        Assert.Null(resumed.PausedUntil);
        Assert.True(resumed.UpdatedAt >= until, $"resumed at {resumed.UpdatedAt:O}, before until {until:O}");
        Assert.True(resumed.UpdatedAt <= until.AddSeconds(1.5), $"resumed at {resumed.UpdatedAt:O}, long after until {until:O}");
        Assert.True(resumedSeen >= until);
        var firing = await TestApi.EventuallyAsync(() => JobAsync(product, job.Tag!), j => j.ExecutionsDone > doneAtPause, Patience);
        Assert.True(firing.ExecutionsDone > doneAtPause, "the job fires again after the timed resume");
    }

    [Fact]
    public async Task Invalid_failure_fields_and_a_past_until_answer_400_naming_the_field()
    {
        var product = (await fixture.Server.CreateProductAsync()).Tag!;
        var ev = await Admin.CreateActionEventAsync(product, fixture.Target.Url);
        var definition = TestApi.Job(ev.Tag!);
        definition.OnFailure = new JobEventRef { EventType = "action", EventTag = "no-such-event" };
        var missing = await (await Admin.PostAsync(Routes.Jobs(product), TestApi.Json(definition))).ExpectAsync(400);
        Assert.True(JsonDocument.Parse(missing).RootElement.GetProperty("errors").TryGetProperty("on_failure", out _), missing);

        var negative = await (await Admin.PostAsync(Routes.Jobs(product), TestApi.Raw(
            $$"""{"name":"n","tag":"neg","event_type":"action","event_tag":"{{ev.Tag}}","executions":0,"intervals":1000,"pause_after_failures":-1}"""))).ExpectAsync(400);
        Assert.True(JsonDocument.Parse(negative).RootElement.GetProperty("errors").TryGetProperty("pause_after_failures", out _), negative);

        var job = await Admin.CreateJobAsync(product, TestApi.Job(ev.Tag!));
        var past = await (await Admin.PostAsync(Routes.Job(product, job.Tag!) + "/pause",
            TestApi.Raw("""{"until":"2001-01-01T00:00:00Z"}"""))).ExpectAsync(400);
        Assert.True(JsonDocument.Parse(past).RootElement.GetProperty("errors").TryGetProperty("until", out _), past);
        Assert.Equal("active", (await JobAsync(product, job.Tag!)).Status);

        var readOnly = await (await Admin.PatchAsync(Routes.Job(product, job.Tag!), TestApi.Raw("""{"consecutive_failures":0}"""))).ExpectAsync(400);
        Assert.Contains("consecutive_failures", readOnly, StringComparison.Ordinal);
        // A pause without a body is still a plain pause.
        var plain = await (await Admin.PostAsync(Routes.Job(product, job.Tag!) + "/pause", null)).ExpectAsync(200);
        Assert.Equal("paused", JsonSerializer.Deserialize<ProductJob>(plain, MetronomeJson.Options)!.Status);
    }
}
