using System.Text.Json;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

/// <summary>The reads behind dashboard v2: job search and running, runs across jobs, a slot's runs, stats, nodes, secrets.</summary>
public sealed class DashboardApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Later = "2099-01-01T00:00:00Z";
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Jobs_list_searches_tag_and_name_and_shows_a_run_in_flight_as_running()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var slow = await Server.Admin.CreateActionEventAsync(product, new Uri(fixture.Target.Url + "?delay_ms=2000"));
        await Server.Admin.CreateJobAsync(product, Named(TestApi.Job(slow.Tag!, tag: "nightly-export", startAt: Later), "Export"));
        await Server.Admin.CreateJobAsync(product, Named(TestApi.Job(slow.Tag!, tag: "billing", startAt: Later), "NIGHTLY invoices"));
        await Server.Admin.CreateJobAsync(product, Named(TestApi.Job(slow.Tag!, tag: "cleanup", startAt: Later), "Cleanup"));

        var found = await Server.Admin.GetJsonAsync<Page<ProductJob>>(Routes.Jobs(product) + "?q=Nightly");
        Assert.Equal(["nightly-export", "billing"], found.Items.Select(j => j.Tag));
        Assert.All(found.Items, j => Assert.False(j.Running));
        var paged = await Server.Admin.GetJsonAsync<Page<ProductJob>>(Routes.Jobs(product) + "?q=nightly&limit=1");
        Assert.Equal("nightly-export", Assert.Single(paged.Items).Tag);
        Assert.NotNull(paged.NextCursor);

        await (await Server.Admin.PostAsync(Routes.Job(product, "cleanup") + "/trigger", null)).ExpectAsync(202);
        var running = await Server.Admin.GetJsonAsync<Page<ProductJob>>(Routes.Jobs(product) + "?q=clean");
        Assert.True(Assert.Single(running.Items).Running);
        await Server.WaitForEngineIdleAsync();
        var done = await Server.Admin.GetJsonAsync<ProductJob>(Routes.Job(product, "cleanup"));
        Assert.False(done.Running);
        Assert.Equal("succeeded", done.LastRunStatus);
    }

    [Fact]
    public async Task Product_runs_list_failures_across_jobs_and_a_slot_filter_lists_that_slots_runs()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var ok = await Server.Admin.CreateActionEventAsync(product, fixture.Target.Url);
        var refused = await Server.Admin.CreateActionEventAsync(product, new Uri("http://127.0.0.1:1/refused"));
        await Server.Admin.CreateJobAsync(product, TestApi.Job(ok.Tag!, tag: "good", startAt: Later));
        await Server.Admin.CreateJobAsync(product, TestApi.Job(refused.Tag!, tag: "bad-1", startAt: Later));
        await Server.Admin.CreateJobAsync(product, TestApi.Job(refused.Tag!, tag: "bad-2", startAt: Later));
        foreach (var tag in new[] { "good", "bad-1", "bad-2" })
            await (await Server.Admin.PostAsync(Routes.Job(product, tag) + "/trigger", null)).ExpectAsync(202);
        await Server.WaitForEngineIdleAsync();

        var failures = await Server.Admin.GetJsonAsync<Page<JobRun>>(Routes.Runs(product) + "?status=failed,timed_out,abandoned");
        Assert.Equal(["bad-2", "bad-1"], failures.Items.Select(r => r.JobTag)); // newest first
        Assert.All(failures.Items, r => Assert.Equal("failed", r.Status));
        var all = await Server.Admin.GetJsonAsync<Page<JobRun>>(Routes.Runs(product));
        Assert.Equal(3, all.Items.Count);
        var oneJob = await Server.Admin.GetJsonAsync<Page<JobRun>>(Routes.Runs(product) + "?job=bad-1&status=failed");
        Assert.Equal("bad-1", Assert.Single(oneJob.Items).JobTag);

        // Triggered runs are slot 0; a slot with no run lists nothing.
        var slot0 = await Server.Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, "good") + "?slot=0");
        Assert.Equal((0L, 1, "succeeded"), (Assert.Single(slot0.Items).Slot, slot0.Items[0].Attempt, slot0.Items[0].Status));
        Assert.Empty((await Server.Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, "good") + "?slot=1")).Items);
    }

    [Fact]
    public async Task Stats_count_jobs_and_runs_and_give_one_entry_per_minute_ending_now()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var ok = await Server.Admin.CreateActionEventAsync(product, fixture.Target.Url);
        var refused = await Server.Admin.CreateActionEventAsync(product, new Uri("http://127.0.0.1:1/refused"));
        await Server.Admin.CreateJobAsync(product, TestApi.Job(ok.Tag!, tag: "good", startAt: Later));
        await Server.Admin.CreateJobAsync(product, TestApi.Job(refused.Tag!, tag: "bad", startAt: Later));
        await Server.Admin.CreateJobAsync(product, TestApi.Job(ok.Tag!, tag: "idle", startAt: Later));
        await (await Server.Admin.PostAsync(Routes.Job(product, "idle") + "/pause", null)).ExpectAsync(200);
        await (await Server.Admin.PostAsync(Routes.Job(product, "good") + "/trigger", null)).ExpectAsync(202);
        await (await Server.Admin.PostAsync(Routes.Job(product, "bad") + "/trigger", null)).ExpectAsync(202);
        await Server.WaitForEngineIdleAsync();

        var before = DateTimeOffset.UtcNow;
        var stats = await Server.Admin.GetJsonAsync<ProductStats>(Routes.Stats(product));
        Assert.Equal((2L, 1L, 0L, 0L), (stats.Jobs.Active, stats.Jobs.Paused, stats.Jobs.Completed, stats.Jobs.Running));
        Assert.Equal((1L, 1L, 0L, 0L, 0L, 0L), (stats.Runs.Succeeded, stats.Runs.Failed, stats.Runs.TimedOut, stats.Runs.Skipped, stats.Runs.Abandoned, stats.Runs.Running));
        Assert.Equal(60, stats.Minutes.Count);
        Assert.All(stats.Minutes.Zip(stats.Minutes.Skip(1)), pair => Assert.Equal(pair.First.At.AddMinutes(1), pair.Second.At));
        var currentMinute = new DateTimeOffset(before.UtcTicks - before.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
        Assert.InRange(stats.Minutes[^1].At, currentMinute, currentMinute.AddMinutes(1));
        Assert.Equal(2, stats.Minutes.Sum(m => m.Fires));
        Assert.Equal(1, stats.Minutes.Sum(m => m.Failures));
        Assert.All(stats.Minutes.Where(m => m.Fires == 0), m => Assert.Null(m.P99LatenessMs));
        Assert.All(stats.Minutes.Where(m => m.Fires > 0), m => Assert.InRange(m.P99LatenessMs!.Value, 0, 10_000));

        var short_ = await Server.Admin.GetJsonAsync<ProductStats>(Routes.Stats(product) + "?minutes=5");
        Assert.Equal(5, short_.Minutes.Count);
    }

    [Theory]
    [InlineData("/stats?minutes=0", "minutes")]
    [InlineData("/stats?minutes=1441", "minutes")]
    [InlineData("/stats?minutes=ten", "minutes")]
    [InlineData("/runs?status=failed,exploded", "status")]
    [InlineData("/runs?limit=0", "limit")]
    [InlineData("/runs?cursor=nope", "cursor")]
    [InlineData("/jobs?limit=1001", "limit")]
    [InlineData("/jobs/j/runs?slot=-1", "slot")]
    [InlineData("/jobs/j/runs?slot=x", "slot")]
    public async Task Invalid_query_values_answer_400_problem_naming_the_parameter(string path, string parameter)
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var ev = await Server.Admin.CreateActionEventAsync(product, fixture.Target.Url);
        await Server.Admin.CreateJobAsync(product, TestApi.Job(ev.Tag!, tag: "j", startAt: Later));
        var response = await Server.Admin.GetAsync(Routes.Product(product) + path);
        var body = await response.ExpectAsync(400);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty(parameter, out _), body);
    }

    private static ProductJob Named(ProductJob job, string name)
    {
        job.Name = name;
        return job;
    }

    [Fact]
    public async Task Over_long_search_answers_400_naming_q()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var body = await (await Server.Admin.GetAsync(Routes.Jobs(product) + "?q=" + new string('a', 201))).ExpectAsync(400);
        Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty("q", out _), body);
    }

    [Fact]
    public async Task Nodes_of_a_single_node_list_itself_as_leader_to_any_valid_key()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        using var client = Server.Client(await Server.CreateKeyAsync(product));
        var nodes = await client.GetJsonAsync<ClusterNodes>(Routes.ClusterNodes);
        var self = Assert.Single(nodes.Nodes);
        Assert.Equal(("test-node", "test-node", true, true), (nodes.Leader, self.Id, self.Leader, self.Present));
        Assert.Equal(0, self.HeartbeatAgeMs);
        Assert.True(self.StartedAt <= self.HeartbeatAt);
        await (await Server.Anonymous.GetAsync(Routes.ClusterNodes)).ExpectAsync(401);
    }

    [Fact]
    public async Task Secrets_list_names_and_dates_never_values()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await (await Server.Admin.PutAsync(Routes.Secret(product, "TOKEN"), TestApi.Json(new SecretValue { Value = "very-secret-token" }))).ExpectAsync(204);
        await (await Server.Admin.PutAsync(Routes.Secret(product, "API_KEY"), TestApi.Json(new SecretValue { Value = "very-secret-key" }))).ExpectAsync(204);

        var response = await Server.Admin.GetAsync(Routes.Secrets(product));
        var text = await response.ExpectAsync(200);
        Assert.DoesNotContain("very-secret", text);
        var secrets = await response.ReadAsync<List<SecretInfo>>();
        Assert.Equal(["API_KEY", "TOKEN"], secrets.Select(s => s.Name));
        Assert.All(secrets, s => Assert.InRange(s.UpdatedAt!.Value, before, DateTimeOffset.UtcNow.AddSeconds(1)));
        Assert.Equal(["name", "updated_at"], JsonDocument.Parse(text).RootElement[0].EnumerateObject().Select(p => p.Name));
    }
}
