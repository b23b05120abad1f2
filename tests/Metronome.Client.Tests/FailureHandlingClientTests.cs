using Metronome.Client.Tests.Infrastructure;
using Metronome.Contracts;

namespace Metronome.Client.Tests;

/// <summary>The SDK's failure-handling surface (issue 14) against a real server process: typed fields and PauseAsync(tag, until).</summary>
[Collection(ServerCollection.Name)]
public sealed class FailureHandlingClientTests(ServerFixture fixture)
{
    private static ProductJob Job(string tag) => new()
    {
        Name = "A job", Tag = tag, EventType = JobEventTypes.Function, EventTag = "sum", Executions = 0, Intervals = 3_600_000,
        OnFailure = new JobEventRef { EventType = "FUNCTION", EventTag = "sum" }, PauseAfterFailures = 2,
    };

    [Fact]
    public async Task Failure_fields_are_typed_on_create_and_update()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;

        var created = await jobs.CreateAsync(Job("hooked"));

        Assert.Equal((JobEventTypes.Function, "sum"), (created.OnFailure?.EventType, created.OnFailure?.EventTag));
        Assert.Equal((2, 0), (created.PauseAfterFailures, created.ConsecutiveFailures));
        Assert.Null(created.PausedUntil);

        var updated = await jobs.UpdateAsync("hooked", new ProductJobUpdate { OnFailure = new JobEventRef(), PauseAfterFailures = 0 });
        Assert.Null(updated.OnFailure);
        Assert.Equal(0, updated.PauseAfterFailures);
        Assert.Null((await jobs.FetchAsync("hooked")).OnFailure);
    }

    [Fact]
    public async Task PauseAsync_with_until_sets_paused_until_and_resume_clears_it()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        await jobs.CreateAsync(Job("napping"));
        var until = DateTimeOffset.UtcNow.AddHours(1);

        var paused = await jobs.PauseAsync("napping", until);

        Assert.Equal(JobStatuses.Paused, paused.Status);
        Assert.Equal(until.ToUnixTimeMilliseconds(), paused.PausedUntil?.ToUnixTimeMilliseconds());
        Assert.Null(paused.NextRunAt);
        var resumed = await jobs.ResumeAsync("napping");
        Assert.Equal(JobStatuses.Active, resumed.Status);
        Assert.Null(resumed.PausedUntil);
    }

    [Fact]
    public async Task PauseAsync_with_a_past_until_throws_naming_until()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        await jobs.CreateAsync(Job("late"));

        var error = await Assert.ThrowsAsync<MetronomeApiException>(() => jobs.PauseAsync("late", DateTimeOffset.UtcNow.AddMinutes(-1)));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, error.StatusCode);
        Assert.True(error.Errors.ContainsKey("until"), error.Message);
        Assert.Equal(JobStatuses.Active, (await jobs.FetchAsync("late")).Status);
    }
}
