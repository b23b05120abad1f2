using System.Text.Json;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

/// <summary>A run carries every earlier attempt of its slot on the wire (<c>attempts</c>), the run itself being the last.</summary>
public sealed class RunAttemptsApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Admin => fixture.Server.Admin;

    [Fact]
    public async Task A_run_retried_twice_shows_both_failed_attempts_before_the_one_that_succeeded()
    {
        var product = (await fixture.Server.CreateProductAsync()).Tag!;
        var ev = await Admin.CreateActionEventAsync(product, new Uri(fixture.Target.Url + "?fail_first=2"));
        var definition = TestApi.Job(ev.Tag!, executions: 1, intervals: 100);
        definition.Retries = new RetryOptions { MaxAttempts = 3, BackoffMs = 100 };
        var job = await Admin.CreateJobAsync(product, definition);

        var done = await TestApi.EventuallyAsync(
            () => Admin.GetJsonAsync<ProductJob>(Routes.Job(product, job.Tag!)), j => j.Status == "completed", TimeSpan.FromSeconds(30));
        Assert.Equal("succeeded", done.LastRunStatus);

        var listed = Assert.Single((await Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job.Tag!))).Items);
        var text = await (await Admin.GetAsync(Routes.Run(product, listed.Id!))).ExpectAsync(200);
        var run = JsonSerializer.Deserialize<JobRun>(text, MetronomeJson.Options)!;
        Assert.Equal((3, "succeeded"), (run.Attempt, run.Status));
        Assert.Null(run.Error);
        Assert.NotNull(run.Attempts);
        Assert.Equal([1, 2], run.Attempts.Select(a => a.Attempt));
        Assert.All(run.Attempts, a =>
        {
            Assert.Equal("failed", a.Status);
            Assert.Equal("http_status", a.Error?.Kind);
            Assert.Contains("500", a.Error?.Message, StringComparison.Ordinal);
            Assert.True(a.StartedAt <= a.FinishedAt, $"{a.StartedAt} .. {a.FinishedAt}");
        });
        Assert.True(run.Attempts[1].StartedAt >= run.Attempts[0].FinishedAt, "attempt 2 ran after attempt 1");
        Assert.True(run.StartedAt >= run.Attempts[1].FinishedAt, "attempt 3 ran after attempt 2");
        using var doc = JsonDocument.Parse(text);
        var wire = doc.RootElement.GetProperty("attempts")[0];
        Assert.Equal("http_status", wire.GetProperty("error").GetProperty("kind").GetString());
        Assert.Equal(1, wire.GetProperty("attempt").GetInt32());
        Assert.Equal(3, fixture.Target.Requests.Count(r => r.IdempotencyKey == $"{product}/{job.Tag}/1"));
    }

    [Fact]
    public async Task A_first_attempt_run_has_no_attempts_field()
    {
        var product = (await fixture.Server.CreateProductAsync()).Tag!;
        var ev = await Admin.CreateActionEventAsync(product, fixture.Target.Url);
        var job = await Admin.CreateJobAsync(product, TestApi.Job(ev.Tag!, executions: 1, intervals: 100));

        await TestApi.EventuallyAsync(
            () => Admin.GetJsonAsync<ProductJob>(Routes.Job(product, job.Tag!)), j => j.Status == "completed", TimeSpan.FromSeconds(30));

        var listed = Assert.Single((await Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job.Tag!))).Items);
        var text = await (await Admin.GetAsync(Routes.Run(product, listed.Id!))).ExpectAsync(200);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal(1, doc.RootElement.GetProperty("attempt").GetInt32());
        Assert.False(doc.RootElement.TryGetProperty("attempts", out _));
    }
}
