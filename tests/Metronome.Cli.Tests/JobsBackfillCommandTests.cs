using System.Text.Json;
using Metronome.Contracts;

namespace Metronome.Cli.Tests;

/// <summary><c>metronome jobs backfill</c> run as a process against <c>metronome serve</c>.</summary>
[Collection(CliCollection.Name)]
public sealed class JobsBackfillCommandTests(CliFixture fixture)
{
    [Fact]
    public async Task Jobs_backfill_queues_the_slots_missed_while_paused_and_a_repeat_says_there_is_nothing_to_do()
    {
        var shop = await fixture.CreateProductAsync();
        var jobs = fixture.Admin.Product(shop).Jobs;
        var job = await jobs.CreateAsync(new ProductJob
        {
            Name = "Gappy", Tag = "gappy", EventType = "function", EventTag = "sum", Executions = 0, Intervals = 1000, Overlap = "allow", Misfire = "skip",
        });
        await WaitAsync(() => jobs.ListRunsAsync("gappy"), p => p.Items.Count > 0);
        await jobs.PauseAsync("gappy");
        var last = (await jobs.ListRunsAsync("gappy")).Items.Max(r => r.Slot);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await jobs.ResumeAsync("gappy");
        var before = await WaitAsync(() => jobs.ListRunsAsync("gappy", limit: 1000), p => p.Items.Any(r => r.Slot > last + 2));
        var had = before.Items.Select(r => r.Slot).ToHashSet();
        var gap = Enumerable.Range(1, (int)had.Max()).Select(s => (long)s).Where(s => !had.Contains(s)).ToList();
        Assert.NotEmpty(gap);
        var from = job.CreatedAt!.Value.ToString("O");

        var result = await fixture.RunAsync("jobs", "backfill", "gappy", "--product", shop, "--from", from, "--to", "now", "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(gap.Count, JsonSerializer.Deserialize<JobBackfillResponse>(result.Stdout, MetronomeJson.Options)!.Slots);
        using (var doc = JsonDocument.Parse(result.Stdout)) Assert.True(doc.RootElement.TryGetProperty("slots", out _));
        var after = await WaitAsync(() => jobs.ListRunsAsync("gappy", limit: 1000),
            p => gap.All(s => p.Items.Any(r => r.Slot == s && r.Status == RunStatuses.Succeeded)));
        Assert.All(gap, s => Assert.Single(after.Items, r => r.Slot == s));

        var again = await fixture.RunAsync("jobs", "backfill", "gappy", "--product", shop, "--from", from, "--to", "now");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("Nothing to backfill", again.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jobs_backfill_with_a_bad_instant_or_range_fails_with_a_message()
    {
        var shop = await fixture.CreateProductAsync();
        await fixture.Admin.Product(shop).Jobs.CreateAsync(new ProductJob { Name = "J", Tag = "j", EventType = "action", EventTag = "action_tag", Executions = 0, Intervals = 60_000 });

        var unparsable = await fixture.RunAsync("jobs", "backfill", "j", "--product", shop, "--from", "last tuesday", "--to", "now");
        Assert.NotEqual(0, unparsable.ExitCode);
        Assert.Contains("ISO-8601", unparsable.Stderr, StringComparison.Ordinal);

        var backwards = await fixture.RunAsync("jobs", "backfill", "j", "--product", shop, "--from", "2026-02-01T00:00:00Z", "--to", "2026-01-01T00:00:00Z");
        Assert.NotEqual(0, backwards.ExitCode);
        Assert.Contains("from must be before to", backwards.Stderr, StringComparison.Ordinal);
    }

    private static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var value = await probe();
            if (condition(value) || DateTime.UtcNow > until) return value;
            await Task.Delay(100);
        }
    }
}
