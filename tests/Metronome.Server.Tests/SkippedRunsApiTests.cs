using System.Text.Json;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

/// <summary>Slots skipped by <c>overlap: skip</c> are one run per streak on the wire, with <c>skipped_count</c> (SPEC §3).</summary>
public sealed class SkippedRunsApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Admin => fixture.Server.Admin;

    [Fact]
    public async Task Slots_skipped_while_a_slow_execution_runs_are_one_run_with_skipped_count()
    {
        var product = (await fixture.Server.CreateProductAsync()).Tag!;
        // Each call takes 1.2 s and the job is due every 100 ms: about eleven slots come due while the first execution runs.
        var ev = await Admin.CreateActionEventAsync(product, new Uri(fixture.Target.Url + "?delay_ms=1200"));
        var job = await Admin.CreateJobAsync(product, TestApi.Job(ev.Tag!, executions: 2, intervals: 100));

        var done = await TestApi.EventuallyAsync(
            () => Admin.GetJsonAsync<ProductJob>(Routes.Job(product, job.Tag!)), j => j.Status == "completed", TimeSpan.FromSeconds(30));
        Assert.Equal(("completed", 2L), (done.Status, done.ExecutionsDone)); // skipped slots do not count

        var response = await Admin.GetAsync(Routes.JobRuns(product, job.Tag!));
        var text = await response.ExpectAsync(200);
        var runs = JsonSerializer.Deserialize<Page<JobRun>>(text, MetronomeJson.Options)!.Items;
        var fired = runs.Where(r => r.Status == "succeeded").OrderBy(r => r.Slot).ToList();
        var skipped = Assert.Single(runs, r => r.Status == "skipped"); // one row for the whole streak between the two executions
        Assert.Equal(2, fired.Count);
        Assert.True(skipped.SkippedCount >= 2, $"skipped_count {skipped.SkippedCount}");
        // The skipped run stands for every slot between the two executions: slot is the first of them.
        Assert.Equal(fired[0].Slot + 1, skipped.Slot);
        Assert.Equal(fired[1].Slot, skipped.Slot + skipped.SkippedCount);
        Assert.All(fired, r => Assert.Null(r.SkippedCount));
        using var doc = JsonDocument.Parse(text);
        var wire = doc.RootElement.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("status").GetString() == "skipped");
        Assert.Equal(skipped.SkippedCount, wire.GetProperty("skipped_count").GetInt64());
    }
}
