using Metronome.Contracts;
using Metronome.Core.Runs;

namespace Metronome.Core.Tests.Engine;

public sealed class BackfillEngineTests
{
    private static string At(TimeSpan after) => (EngineHarness.T0 + after).ToString("O");

    [Fact]
    public async Task Slots_passed_while_paused_run_once_each_in_order_with_their_own_keys_and_a_repeat_queues_nothing()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("hourly", 0, 60_000)); // slot 1 due at T0 + 1 min
        await h.AdvanceUntilOutcomesAsync(TimeSpan.FromMinutes(1), 1);            // slot 1 runs
        await h.Jobs.PauseAsync("shop", "hourly");
        h.Time.Advance(TimeSpan.FromMinutes(4.5));                                // slots 2..5 pass while paused
        await h.Jobs.ResumeAsync("shop", "hourly");                               // next: slot 6 at T0 + 6 min

        var result = await h.Jobs.BackfillAsync("shop", "hourly", new JobBackfillRequest { From = At(TimeSpan.Zero), To = At(TimeSpan.FromHours(1)) });
        Assert.Equal(4, result.Queued);
        Assert.Equal(5, result.InRange);
        await h.OutcomesAsync(5);

        var calls = h.Executor.Calls.ToList();
        Assert.Equal([1L, 2, 3, 4, 5], calls.Select(c => c.Slot));
        Assert.Equal(["shop/hourly/2", "shop/hourly/3", "shop/hourly/4", "shop/hourly/5"], calls.Skip(1).Select(c => c.Key));
        var runs = await h.RunsAsync("hourly");
        Assert.Equal([1L, 2, 3, 4, 5], runs.Select(r => r.Slot));
        Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.All(runs, r => Assert.Equal(EngineHarness.T0 + TimeSpan.FromMinutes(r.Slot), r.ScheduledAt));
        var job = await h.Jobs.GetAsync("shop", "hourly");
        Assert.Equal(0, job.InFlight);
        Assert.Equal(1, job.ExecutionsDone); // backfilled slots do not count toward executions

        var again = await h.Jobs.BackfillAsync("shop", "hourly", new JobBackfillRequest { From = At(TimeSpan.Zero), To = At(TimeSpan.FromHours(1)) });
        Assert.Equal(0, again.Queued);
    }

    [Fact]
    public async Task Queued_backfill_slots_survive_a_restart_and_run_once()
    {
        var path = Path.Combine(Path.GetTempPath(), $"metronome-backfill-{Guid.NewGuid():N}.db");
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(EngineHarness.T0);
        await using (var first = await EngineHarness.StartAsync(path, time))
        {
            await first.Jobs.CreateAsync("shop", EngineHarness.Job("nightly", 0, 60_000));
            await first.Jobs.PauseAsync("shop", "nightly");
            time.Advance(TimeSpan.FromMinutes(3).Add(TimeSpan.FromSeconds(30)));
            await first.Jobs.ResumeAsync("shop", "nightly");
            // Queued straight in the store, as if the node died right after the 202: no engine has seen them.
            var queued = await first.Store.BackfillJobAsync(new Storage.BackfillParams("shop", "nightly", EngineHarness.T0, time.GetUtcNow(), time.GetUtcNow()), CancellationToken.None);
            Assert.Equal(3, queued.Queued);
            await first.Engine.StopAsync(CancellationToken.None);
        }
        await using var second = await EngineHarness.StartAsync(path, time);
        second.Signal.BackfillQueued();
        await second.OutcomesAsync(3);
        Assert.Equal([1L, 2, 3], second.Executor.Calls.Select(c => c.Slot));
        var runs = await second.RunsAsync("nightly");
        Assert.Equal([1L, 2, 3], runs.Select(r => r.Slot));
        Assert.All(runs, r => Assert.Equal((RunStatus.Succeeded, 1), (r.Status, r.Attempt)));
    }
}
