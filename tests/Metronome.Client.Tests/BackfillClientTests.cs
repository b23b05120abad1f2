using System.Net;
using Metronome.Client.Tests.Infrastructure;
using Metronome.Contracts;

namespace Metronome.Client.Tests;

/// <summary><c>IProductJobs.BackfillAsync</c> against a real server process.</summary>
[Collection(ServerCollection.Name)]
public sealed class BackfillClientTests(ServerFixture fixture)
{
    [Fact]
    public async Task BackfillAsync_runs_the_slots_missed_while_paused_once_and_a_repeat_queues_none()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        var job = await jobs.CreateAsync(new ProductJob
        {
            Name = "Gappy", Tag = "gappy", EventType = JobEventTypes.Function, EventTag = "sum", Executions = 0, Intervals = 1000, Overlap = "allow",
            Misfire = "skip",
        });
        await Eventually.WaitAsync(() => jobs.ListRunsAsync("gappy"), p => p.Items.Count > 0, TimeSpan.FromSeconds(20));
        var paused = await jobs.PauseAsync("gappy");
        var last = (await jobs.ListRunsAsync("gappy")).Items.Max(r => r.Slot);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await jobs.ResumeAsync("gappy");
        var before = await Eventually.WaitAsync(() => jobs.ListRunsAsync("gappy", limit: 1000), p => p.Items.Any(r => r.Slot > last + 2), TimeSpan.FromSeconds(20));
        var had = before.Items.Select(r => r.Slot).ToHashSet();
        var gap = Enumerable.Range(1, (int)had.Max()).Select(s => (long)s).Where(s => !had.Contains(s)).ToList();
        Assert.NotEmpty(gap);
        Assert.Equal(JobStatuses.Paused, paused.Status);

        var queued = await jobs.BackfillAsync("gappy", job.CreatedAt!.Value, DateTimeOffset.UtcNow.AddMinutes(5));

        Assert.Equal(gap.Count, queued.Slots);
        var after = await Eventually.WaitAsync(() => jobs.ListRunsAsync("gappy", limit: 1000),
            p => gap.All(s => p.Items.Any(r => r.Slot == s && r.Status == RunStatuses.Succeeded)), TimeSpan.FromSeconds(30));
        Assert.True(gap.All(s => after.Items.Count(r => r.Slot == s && r.Status == RunStatuses.Succeeded) == 1),
            string.Join(" ", after.Items.OrderBy(r => r.Slot).Select(r => $"{r.Slot}:{r.Status}:{r.Error?.Message}")));
        foreach (var slot in gap)
            Assert.Equal(slot, (await jobs.FetchRunAsync(after.Items.Single(r => r.Slot == slot).Id!)).Output!.Value.GetProperty("slot").GetInt64());
        Assert.Equal(0, (await jobs.BackfillAsync("gappy", job.CreatedAt!.Value, DateTimeOffset.UtcNow)).Slots);
    }

    [Fact]
    public async Task BackfillAsync_of_an_empty_range_or_an_unknown_job_throws_the_servers_problem()
    {
        var jobs = fixture.Admin.Product(await fixture.CreateProductAsync()).Jobs;
        await jobs.CreateAsync(new ProductJob { Name = "J", Tag = "j", EventType = JobEventTypes.Function, EventTag = "sum", Executions = 0, Intervals = 3_600_000 });
        var now = DateTimeOffset.UtcNow;

        var backwards = await Assert.ThrowsAsync<MetronomeApiException>(() => jobs.BackfillAsync("j", now, now.AddHours(-1)));
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.True(backwards.Errors.ContainsKey("from"));
        var missing = await Assert.ThrowsAsync<MetronomeApiException>(() => jobs.BackfillAsync("ghost", now.AddHours(-1), now));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
