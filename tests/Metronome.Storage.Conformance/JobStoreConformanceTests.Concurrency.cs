using Metronome.Core.Jobs;
using Metronome.Core.Storage;

namespace Metronome.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    private const int RacingJobs = 40;
    private const int ClaimsPerRacer = 25;

    [Fact]
    public async Task Concurrent_claims_on_one_store_never_record_a_slot_twice()
    {
        var ids = await CreateRacingJobsAsync();

        var claimed = await Task.WhenAll(Racer(Jobs, ids), Racer(Jobs, ids));

        await AssertEachSlotClaimedOnceAsync(ids, claimed);
    }

    [Fact]
    public async Task Concurrent_claims_on_two_stores_of_one_database_never_record_a_slot_twice()
    {
        var ids = await CreateRacingJobsAsync();
        var second = await OpenAsync();

        var claimed = await Task.WhenAll(Racer(Jobs, ids), Racer(second.Jobs, ids));

        await AssertEachSlotClaimedOnceAsync(ids, claimed);
    }

    private async Task<long[]> CreateRacingJobsAsync()
    {
        var ids = new long[RacingJobs];
        for (int i = 0; i < RacingJobs; i++)
            ids[i] = (await CreateAsync(NewJob($"race-{i:D2}", overlap: OverlapPolicy.Allow))).Id;
        return ids;
    }

    /// <summary>Claims every job over and over with a horizon moving forward half an interval at a time.</summary>
    private static Task<List<(long JobId, long Slot)>> Racer(IJobStore store, long[] ids) => Task.Run(async () =>
    {
        var mine = new List<(long, long)>();
        for (int k = 1; k <= ClaimsPerRacer; k++)
        {
            var result = await ClaimAsync(store, At(k * 0.5), ids);
            mine.AddRange(result.Runs.Select(r => (r.Run.JobId, r.Run.Slot)));
        }
        return mine;
    });

    private async Task AssertEachSlotClaimedOnceAsync(long[] ids, List<(long JobId, long Slot)>[] claimed)
    {
        var all = claimed.SelectMany(c => c).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        // The last horizon is At(12.5): slots 1..12 of every job, each claimed by exactly one racer.
        const long expectedSlots = ClaimsPerRacer / 2;
        Assert.Equal(RacingJobs * expectedSlots, all.Count);
        for (int i = 0; i < ids.Length; i++)
        {
            var runs = await RunsOfAsync($"race-{i:D2}");
            // Racers on two stores mint run ids independently, so list order (newest id first) need not follow slot order.
            Assert.Equal(Enumerable.Range(1, (int)expectedSlots).Select(s => (long)s), runs.Select(r => r.Slot).Order());
        }
    }
}
