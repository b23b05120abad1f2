using Metronome.Core;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;

namespace Metronome.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    /// <summary>
    /// A 1-second job (overlap skip): slot 1 fired, slots 2–3 skipped as one run while it ran, then slots 4–7 passed unrun
    /// (the job was moved on to slot 8 at second 8, as a resume or a misfire skip does). Slot 1 is finished.
    /// </summary>
    private async Task<Job> JobWithGapsAsync(string tag)
    {
        var job = await CreateAsync(NewJob(tag, overlap: OverlapPolicy.Skip, misfire: MisfirePolicy.Skip));
        var first = Assert.Single((await ClaimAsync(At(1), job.Id)).Runs);
        Assert.Empty((await ClaimAsync(At(3), job.Id)).Runs); // 2 and 3 skipped: one run standing for both
        await Jobs.CompleteRunsAsync([Succeeded(first, At(1), At(1.5))], default);
        return await Jobs.ModifyJobAsync(Product, tag, j => j with { NextSlot = 8, NextDueAt = At(8) }, default);
    }

    private Task<BackfillResult> BackfillAsync(string tag, double from, double to, double now) =>
        Jobs.BackfillJobAsync(new BackfillParams(Product, tag, At(from), At(to), At(now)), default);

    private Task<IReadOnlyList<ClaimedRun>> ClaimBackfillAsync(IJobStore? store = null, double now = 20) =>
        (store ?? Jobs).ClaimBackfillRunsAsync(new BackfillClaimParams(Node, At(now)), default);

    [Fact]
    public async Task Backfill_queues_each_slot_without_a_run_once_below_the_next_slot()
    {
        await JobWithGapsAsync("gaps");

        var result = await BackfillAsync("gaps", 0, 100, now: 9.5);

        Assert.Equal(4, result.Queued);  // 4, 5, 6, 7: slot 1 ran, 2–3 were skipped, 8 on is the due loop's
        Assert.Equal(7, result.InRange);
        var queued = (await RunsOfAsync("gaps")).Where(r => r.Status == RunStatus.Running).OrderBy(r => r.Slot).ToList();
        Assert.Equal([4L, 5, 6, 7], queued.Select(r => r.Slot));
        Assert.All(queued, r =>
        {
            Assert.Null(r.Node);
            Assert.Null(r.StartedAt);
            Assert.Equal(1, r.Attempt);
            Assert.Equal(At(r.Slot), r.ScheduledAt);
            Assert.Equal($"{Product}/gaps/{r.Slot}", r.IdempotencyKey);
        });
        Assert.Equal(0, (await BackfillAsync("gaps", 0, 100, now: 9.5)).Queued); // a repeat queues nothing
    }

    [Fact]
    public async Task Backfill_of_a_range_cuts_to_now_and_refuses_too_many_slots_and_unknown_jobs()
    {
        await JobWithGapsAsync("cut");
        Assert.Equal(2, (await BackfillAsync("cut", 0, 100, now: 5.5)).Queued); // 4 and 5 are due before now
        Assert.Equal(2, (await BackfillAsync("cut", 0, 100, now: 9.5)).Queued); // then 6 and 7
        var many = await CreateAsync(NewJob("many", intervalMs: 1));
        await Jobs.ModifyJobAsync(Product, "many", j => j with { NextSlot = 20_002, NextDueAt = j.NextDueAt + TimeSpan.FromMilliseconds(20_001) }, default);
        var refused = await Assert.ThrowsAsync<ValidationFailedException>(() => BackfillAsync("many", 0, 10.0015, now: 60));
        Assert.True(refused.Errors.ContainsKey("to"));
        Assert.Empty(await RunsOfAsync("many"));
        Assert.Equal(BackfillLedger.MaxSlots, (await BackfillAsync("many", 0, 10.0005, now: 60)).Queued);
        await Assert.ThrowsAsync<NotFoundException>(() => BackfillAsync("ghost", 0, 10, now: 60));
        Assert.Equal(many.Id, (await ReloadAsync(many)).Id);
    }

    [Fact]
    public async Task Queued_backfill_runs_start_in_slot_order_one_at_a_time_and_do_not_count_as_executions()
    {
        var job = await JobWithGapsAsync("order");
        await BackfillAsync("order", 0, 100, now: 9.5);
        var done = (await ReloadAsync(job)).ExecutionsDone;

        foreach (var slot in new long[] { 4, 5, 6, 7 })
        {
            var claimed = Assert.Single(await ClaimBackfillAsync());
            Assert.Equal(slot, claimed.Run.Slot);
            Assert.Equal(Node, claimed.Run.Node);
            Assert.Equal(At(20), claimed.RunAt);
            Assert.Equal(1, (await ReloadAsync(job)).InFlight);
            Assert.Empty(await ClaimBackfillAsync()); // the next waits for this one
            await Jobs.CompleteRunsAsync([Succeeded(claimed, At(20), At(21))], default);
        }
        Assert.Empty(await ClaimBackfillAsync());
        var after = await ReloadAsync(job);
        Assert.Equal((0, done, 8L), (after.InFlight, after.ExecutionsDone, after.NextSlot));
        var runs = await RunsOfAsync("order");
        Assert.All(runs.Where(r => r.Slot >= 4), r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.Equal([1L, 2, 4, 5, 6, 7], runs.Select(r => r.Slot).Order());
    }

    [Fact]
    public async Task An_allow_overlap_job_runs_up_to_its_bound_of_backfill_slots_at_once_and_a_paused_job_none()
    {
        var job = await CreateAsync(NewJob("wide", overlap: OverlapPolicy.Allow));
        await Jobs.ModifyJobAsync(Product, "wide", j => j with { NextSlot = 11, NextDueAt = At(11), Status = JobStatus.Paused }, default);
        Assert.Equal(10, (await BackfillAsync("wide", 0, 100, now: 20)).Queued);
        Assert.Empty(await ClaimBackfillAsync()); // paused: they wait

        await Jobs.ModifyJobAsync(Product, "wide", j => j with { Status = JobStatus.Active }, default);
        var claimed = await ClaimBackfillAsync();
        Assert.Equal([1L, 2, 3, 4], claimed.Select(c => c.Run.Slot).Order());
        Assert.Equal(BackfillLedger.AllowOverlapBound, (await ReloadAsync(job)).InFlight);
    }

    [Fact]
    public async Task Recovery_leaves_queued_backfill_runs_alone_and_a_deleted_jobs_queue_is_abandoned()
    {
        await JobWithGapsAsync("orphans");
        await BackfillAsync("orphans", 0, 100, now: 9.5);

        var recovered = await Jobs.RecoverRunsAsync(new RecoverParams(Node, At(30), null), default);
        Assert.Empty(recovered.Resume);
        Assert.Equal(0, recovered.Abandoned);
        Assert.Equal(4, (await RunsOfAsync("orphans")).Count(r => r.Status == RunStatus.Running && r.Node is null));
        // Queued is not in flight: the overview counts no running run for them.
        Assert.Equal(0, (await Jobs.GetProductActivityAsync(new ActivityQuery(Product, Start, 1), default)).RunsRunning);

        await Jobs.DeleteJobAsync(Product, "orphans", default);
        Assert.Empty(await ClaimBackfillAsync());
        var abandoned = (await RunsOfAsync("orphans")).Where(r => r.Slot >= 4).ToList();
        Assert.Equal(4, abandoned.Count);
        Assert.All(abandoned, r => Assert.Equal((RunStatus.Abandoned, BackfillLedger.JobDeletedMessage), (r.Status, r.ErrorMessage)));
    }

    [Fact]
    public async Task Two_store_instances_claiming_backfill_at_once_take_each_queued_slot_once_within_the_bound()
    {
        var job = await CreateAsync(NewJob("race", overlap: OverlapPolicy.Allow));
        await Jobs.ModifyJobAsync(Product, "race", j => j with { NextSlot = 9, NextDueAt = At(9) }, default);
        await BackfillAsync("race", 0, 100, now: 20);
        var other = await OpenAsync();

        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => ClaimBackfillAsync(i % 2 == 0 ? Jobs : other.Jobs)));

        var slots = claims.SelectMany(c => c).Select(c => c.Run.Slot).ToList();
        Assert.Equal(slots.Count, slots.Distinct().Count());
        Assert.Equal([1L, 2, 3, 4], slots.Order());
        Assert.Equal(BackfillLedger.AllowOverlapBound, (await ReloadAsync(job)).InFlight);
    }
}
