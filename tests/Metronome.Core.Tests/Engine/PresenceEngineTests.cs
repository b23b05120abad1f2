using System.Diagnostics;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Core.Tests.Engine;

/// <summary>
/// An engine that is a node of a cluster (a fake cluster store beside a real SQLite file, driven by a FakeTimeProvider): an
/// attempt whose instant comes while the node's presence has lapsed is held back; it fires when the node joins again after
/// a blip, and is dropped when the node was declared dead meanwhile (the leader took its run over). The presence timeout is
/// 2 s here (confirmations every 0.5 s), so a step of the fake clock never outruns the presence loop.
/// </summary>
public sealed class PresenceEngineTests
{
    private readonly FakeCluster _cluster = new();

    /// <summary>A node that ran slot 1 (due at 4 s) and whose slot 2 (due at 8 s) is claimed ahead and waits in its timer.</summary>
    private async Task<EngineHarness> NodeWithSlotTwoHeldAsync()
    {
        var h = await EngineHarness.StartAsync(configure: o => o.ClaimLookahead = TimeSpan.FromSeconds(5), cluster: _cluster);
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("held", 3, 4000, j => j.Retries = new Contracts.RetryOptions { MaxAttempts = 3 }));
        while (h.Time.GetUtcNow() < EngineHarness.T0 + TimeSpan.FromSeconds(4)) await StepAsync(h);
        await h.OutcomesAsync(1);
        while (h.Probe.SlotsClaimed < 2) await StepAsync(h);
        Assert.Equal([1L], h.Executor.Calls.Select(c => c.Slot));
        return h;
    }

    [Fact]
    public async Task An_attempt_due_while_presence_has_lapsed_waits_and_fires_when_the_node_is_back_after_a_blip()
    {
        await using var h = await NodeWithSlotTwoHeldAsync();
        _cluster.NameHeld = true;            // the connection broke and joining again fails for now
        _cluster.Current.Broken = true;
        while (h.Time.GetUtcNow() < EngineHarness.T0 + TimeSpan.FromSeconds(9)) await StepAsync(h);

        Assert.Equal([1L], h.Executor.Calls.Select(c => c.Slot)); // slot 2 was due at 8 s: held back, not fired
        _cluster.NameHeld = false;
        var joins = _cluster.JoinCalls;
        while (_cluster.JoinCalls == joins || h.Executor.Calls.Count < 2) await StepAsync(h);

        var (slot, attempt, _, at) = h.Executor.Calls.Last();
        Assert.Equal((2L, 1), (slot, attempt));                  // the same attempt, late
        Assert.True(at >= EngineHarness.T0 + TimeSpan.FromSeconds(9));
    }

    [Fact]
    public async Task A_node_declared_dead_while_away_drops_the_attempts_it_held_and_fires_none_of_them()
    {
        await using var h = await NodeWithSlotTwoHeldAsync();
        var slotTwo = (await h.RunsAsync("held")).Single(r => r.Slot == 2);
        _cluster.NameHeld = true;
        _cluster.Current.Broken = true;
        while (h.Time.GetUtcNow() < EngineHarness.T0 + TimeSpan.FromSeconds(9)) await StepAsync(h);
        // Meanwhile the leader declared the node dead and took slot 2 over.
        var taken = await h.Store.RecoverRunsAsync(new RecoverParams("leader", h.Time.GetUtcNow(), ["test-node"]), default);
        Assert.Equal(slotTwo.Id, Assert.Single(taken.Resume).Run.Id);
        _cluster.NextJoinDeclaredDead = true;
        _cluster.NameHeld = false;
        var joins = _cluster.JoinCalls;
        while (_cluster.JoinCalls == joins) await StepAsync(h);
        for (int i = 0; i < 8; i++) await StepAsync(h);

        Assert.DoesNotContain(h.Executor.Calls, c => c.Slot == 2);   // dropped: the leader runs it
        var run = (await h.Store.GetRunAsync("shop", slotTwo.Id, default))!;
        Assert.Equal((RunStatus.Running, 2, "leader"), (run.Status, run.Attempt, run.Node));
    }

    /// <summary>
    /// Advances fake time by 250 ms and gives the presence loop its turn: waits until it has looked (confirmed, or tried to
    /// join), for at most 100 ms of real time (while it backs off between joins, a step has nothing for it to do).
    /// </summary>
    private async Task StepAsync(EngineHarness h)
    {
        var (confirms, joins) = (_cluster.Current.Confirms, _cluster.JoinCalls);
        h.Time.Advance(TimeSpan.FromMilliseconds(250));
        var watch = Stopwatch.StartNew();
        while (_cluster.Current.Confirms == confirms && _cluster.JoinCalls == joins && watch.Elapsed < TimeSpan.FromMilliseconds(100))
            await Task.Yield();
        await Task.Yield();
    }
}
