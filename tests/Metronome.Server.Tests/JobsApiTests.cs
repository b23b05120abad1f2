using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

public sealed class JobsApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer Server => fixture.Server;
    private HttpClient Admin => fixture.Server.Admin;

    private async Task<(string Product, string Event)> ProductWithEventAsync()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var ev = await Admin.CreateActionEventAsync(product, fixture.Target.Url);
        return (product, ev.Tag!);
    }

    [Fact]
    public async Task Job_is_created_read_updated_and_deleted()
    {
        var (product, ev) = await ProductWithEventAsync();
        var response = await Admin.PostAsync(Routes.Jobs(product), TestApi.Json(TestApi.Job(ev, "nightly", executions: 5, intervals: 60_000)));
        await response.ExpectAsync(201);
        Assert.Equal($"/api/products/{product}/jobs/nightly", response.Headers.Location?.OriginalString);
        var created = await response.ReadAsync<ProductJob>();
        Assert.Equal("active", created.Status);
        Assert.Equal(0, created.ExecutionsDone);
        Assert.NotNull(created.NextRunAt);
        Assert.Equal("action", created.EventType);

        var read = await Admin.GetJsonAsync<ProductJob>(Routes.Job(product, "nightly"));
        Assert.Equal(5, read.Executions);

        var patched = await Admin.PatchAsync(Routes.Job(product, "nightly"), TestApi.Raw("""{"name":"Renamed","executions":7}"""));
        await patched.ExpectAsync(200);
        var updated = await patched.ReadAsync<ProductJob>();
        Assert.Equal("Renamed", updated.Name);
        Assert.Equal(7, updated.Executions);
        Assert.Equal(60_000, updated.Intervals);

        await (await Admin.DeleteAsync(Routes.Job(product, "nightly"))).ExpectAsync(204);
        await (await Admin.GetAsync(Routes.Job(product, "nightly"))).ExpectAsync(404);
        await (await Admin.DeleteAsync(Routes.Job(product, "nightly"))).ExpectAsync(404);
    }

    [Fact]
    public async Task Taken_tag_answers_409()
    {
        var (product, ev) = await ProductWithEventAsync();
        await Admin.CreateJobAsync(product, TestApi.Job(ev, "dup"));
        var again = await Admin.PostAsync(Routes.Jobs(product), TestApi.Json(TestApi.Job(ev, "dup")));
        await again.ExpectAsync(409);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Job_in_a_missing_product_answers_404()
    {
        await (await Admin.PostAsync(Routes.Jobs("nowhere"), TestApi.Json(TestApi.Job("e")))).ExpectAsync(404);
        await (await Admin.GetAsync(Routes.Jobs("nowhere"))).ExpectAsync(404);
    }

    [Fact]
    public async Task Job_list_pages_with_a_cursor_and_filters_by_status()
    {
        var (product, ev) = await ProductWithEventAsync();
        var tags = new List<string>();
        for (var i = 0; i < 5; i++) tags.Add((await Admin.CreateJobAsync(product, TestApi.Job(ev, $"job-{i}"))).Tag!);
        await (await Admin.PostAsync(Routes.Job(product, "job-3") + "/pause", null)).ExpectAsync(200);

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Admin.GetJsonAsync<Page<ProductJob>>(Routes.Jobs(product) + "?limit=2" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            Assert.True(page.Items.Count <= 2);
            seen.AddRange(page.Items.Select(j => j.Tag!));
            cursor = page.NextCursor;
            pages++;
        } while (cursor is not null && pages < 10);
        Assert.Equal(tags.Order(), seen.Order());
        Assert.True(pages >= 3);

        var paused = await Admin.GetJsonAsync<Page<ProductJob>>(Routes.Jobs(product) + "?status=paused");
        Assert.Equal("job-3", Assert.Single(paused.Items).Tag);

        await (await Admin.GetAsync(Routes.Jobs(product) + "?status=sleeping")).ExpectAsync(400);
        await (await Admin.GetAsync(Routes.Jobs(product) + "?limit=0")).ExpectAsync(400);
        await (await Admin.GetAsync(Routes.Jobs(product) + "?limit=many")).ExpectAsync(400);
    }

    [Fact]
    public async Task Pause_and_resume_answer_200_with_the_job()
    {
        var (product, ev) = await ProductWithEventAsync();
        var job = await Admin.CreateJobAsync(product, TestApi.Job(ev));
        var paused = await Admin.PostAsync(Routes.Job(product, job.Tag!) + "/pause", null);
        await paused.ExpectAsync(200);
        var pausedJob = await paused.ReadAsync<ProductJob>();
        Assert.Equal("paused", pausedJob.Status);
        Assert.Null(pausedJob.NextRunAt);

        var resumed = await Admin.PostAsync(Routes.Job(product, job.Tag!) + "/resume", null);
        await resumed.ExpectAsync(200);
        var resumedJob = await resumed.ReadAsync<ProductJob>();
        Assert.Equal("active", resumedJob.Status);
        Assert.NotNull(resumedJob.NextRunAt);

        await (await Admin.PostAsync(Routes.Job(product, "missing") + "/pause", null)).ExpectAsync(404);
    }

    [Fact]
    public async Task Trigger_answers_202_with_a_run_and_the_target_gets_an_idempotency_key()
    {
        var (product, ev) = await ProductWithEventAsync();
        var job = await Admin.CreateJobAsync(product, TestApi.Job(ev));
        var response = await Admin.PostAsync(Routes.Job(product, job.Tag!) + "/trigger", null);
        await response.ExpectAsync(202);
        var run = await response.ReadAsync<JobRun>();
        Assert.False(string.IsNullOrEmpty(run.Id));
        Assert.Equal(0, run.Slot);
        Assert.Equal(job.Tag, run.JobTag);

        var finished = await TestApi.EventuallyAsync(
            () => Admin.GetJsonAsync<JobRun>(Routes.Run(product, run.Id!)), r => r.Status is not "running");
        Assert.Equal("succeeded", finished.Status);
        var received = fixture.Target.Requests.Where(r => r.IdempotencyKey.StartsWith($"{product}/{job.Tag}/", StringComparison.Ordinal)).ToList();
        var request = Assert.Single(received);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hook", request.Path);

        var after = await Admin.GetJsonAsync<ProductJob>(Routes.Job(product, job.Tag!));
        Assert.Equal(1, after.ExecutionsDone);
    }

    [Fact]
    public async Task Job_with_three_executions_runs_exactly_three_times_and_completes()
    {
        var (product, ev) = await ProductWithEventAsync();
        var job = await Admin.CreateJobAsync(product, TestApi.Job(ev, executions: 3, intervals: 200));

        var done = await TestApi.EventuallyAsync(
            () => Admin.GetJsonAsync<ProductJob>(Routes.Job(product, job.Tag!)), j => j.Status == "completed");
        Assert.Equal("completed", done.Status);
        Assert.Equal(3, done.ExecutionsDone);
        Assert.Null(done.NextRunAt);

        // Nothing more arrives after completion: once the engine is idle, every request it will ever send was sent.
        await Server.WaitForEngineIdleAsync();
        var received = fixture.Target.Requests.Where(r => r.IdempotencyKey.StartsWith($"{product}/{job.Tag}/", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, received.Count);
        // A cold first request may outlast a slot; overlap "skip" then skips (and does not count) the next ones.
        Assert.Equal(3, received.Select(r => r.IdempotencyKey).Distinct().Count());
        Assert.All(received, r => Assert.Matches($"^{product}/{job.Tag}/[1-9][0-9]*$", r.IdempotencyKey));

        var runs = await Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job.Tag!) + "?status=succeeded");
        Assert.Equal(3, runs.Items.Count);
        // Newest first.
        var slots = runs.Items.Select(r => r.Slot).ToList();
        Assert.Equal(slots.OrderDescending(), slots);
        Assert.Equal(
            received.Select(r => r.IdempotencyKey).Order(StringComparer.Ordinal),
            slots.Select(s => $"{product}/{job.Tag}/{s}").Order(StringComparer.Ordinal));

        var one = await Admin.GetJsonAsync<JobRun>(Routes.Run(product, runs.Items[0].Id!));
        Assert.Equal(runs.Items[0].Id, one.Id);
        Assert.Equal(slots[0], one.Slot);
        Assert.Equal("test-node", one.Node);
        Assert.NotNull(one.FinishedAt);
    }

    [Fact]
    public async Task Runs_list_is_newest_first_and_pages()
    {
        var (product, ev) = await ProductWithEventAsync();
        var job = await Admin.CreateJobAsync(product, TestApi.Job(ev));
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var response = await Admin.PostAsync(Routes.Job(product, job.Tag!) + "/trigger", null);
            await response.ExpectAsync(202);
            ids.Add((await response.ReadAsync<JobRun>()).Id!); // run ids strictly increase (RunIdGenerator), even within a millisecond
        }

        var all = await Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job.Tag!));
        Assert.Equal(Enumerable.Reverse(ids), all.Items.Select(r => r.Id!));

        var first = await Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job.Tag!) + "?limit=2");
        Assert.Equal(2, first.Items.Count);
        Assert.NotNull(first.NextCursor);
        var second = await Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job.Tag!) + "?limit=2&cursor=" + Uri.EscapeDataString(first.NextCursor!));
        Assert.Equal(ids[0], Assert.Single(second.Items).Id);

        await (await Admin.GetAsync(Routes.JobRuns(product, job.Tag!) + "?status=bogus")).ExpectAsync(400);
        await (await Admin.GetAsync(Routes.JobRuns(product, "missing"))).ExpectAsync(404);
        await (await Admin.GetAsync(Routes.Run(product, "nope"))).ExpectAsync(404);
    }

    [Fact]
    public async Task Job_referencing_a_missing_event_answers_400_naming_event_tag()
    {
        var (product, _) = await ProductWithEventAsync();
        var body = await (await Admin.PostAsync(Routes.Jobs(product), TestApi.Json(TestApi.Job("no-such-event")))).ExpectAsync(400);
        Assert.Contains("\"event_tag\"", body);
    }
}
