using System.Text.Json;
using Metronome.Contracts;

namespace Metronome.Cli.Tests;

/// <summary>The CLI's failure-handling options (issue 14), run as a process against <c>metronome serve</c>.</summary>
[Collection(CliCollection.Name)]
public sealed class FailureHandlingCommandTests(CliFixture fixture)
{
    [Fact]
    public async Task Jobs_create_and_update_set_on_failure_and_pause_after_failures()
    {
        var shop = await fixture.CreateProductAsync();

        var created = await fixture.RunAsync("jobs", "create", "--product", shop, "--tag", "guarded", "--event", "action:action_tag",
            "--executions", "0", "--intervals", "1h", "--on-failure", "ACTION:action_tag", "--pause-after-failures", "3");

        Assert.True(created.ExitCode == 0, created.Stderr);
        var job = await fixture.Admin.Product(shop).Jobs.FetchAsync("guarded");
        Assert.Equal(("action", "action_tag", 3), (job.OnFailure?.EventType, job.OnFailure?.EventTag, job.PauseAfterFailures));

        var shown = await fixture.RunAsync("jobs", "get", "guarded", "--product", shop);
        Assert.True(shown.ExitCode == 0, shown.Stderr);
        Assert.Contains("action:action_tag", shown.Stdout.Split('\n').Single(l => l.Contains("on failure", StringComparison.Ordinal)));
        Assert.Contains("3 consecutive failure(s)", shown.Stdout);

        var cleared = await fixture.RunAsync("jobs", "update", "guarded", "--product", shop, "--on-failure", "none", "--pause-after-failures", "0");
        Assert.True(cleared.ExitCode == 0, cleared.Stderr);
        job = await fixture.Admin.Product(shop).Jobs.FetchAsync("guarded");
        Assert.Equal((null, 0), (job.OnFailure, job.PauseAfterFailures));
    }

    [Fact]
    public async Task Jobs_pause_with_until_pauses_until_that_instant_and_get_shows_it()
    {
        var shop = await fixture.CreateProductAsync();
        await fixture.Admin.Product(shop).Jobs.CreateAsync(new ProductJob
        {
            Name = "N", Tag = "nap", EventType = "action", EventTag = "action_tag", Executions = 0, Intervals = 60_000,
        });
        var until = DateTimeOffset.UtcNow.AddHours(2);
        var text = until.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

        var result = await fixture.RunAsync("jobs", "pause", "nap", "--product", shop, "--until", text, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var paused = JsonSerializer.Deserialize<ProductJob>(result.Stdout, MetronomeJson.Options)!;
        Assert.Equal(JobStatuses.Paused, paused.Status);
        Assert.Equal(DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture), paused.PausedUntil);
        var shown = await fixture.RunAsync("jobs", "get", "nap", "--product", shop);
        Assert.Contains("paused until", shown.Stdout);

        var bad = await fixture.RunAsync("jobs", "pause", "nap", "--product", shop, "--until", "tomorrow-ish");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("--until", bad.Stderr);
    }
}
