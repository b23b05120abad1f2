using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Metronome.Core.Engine.Cluster;
using Metronome.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Core.Tests.Engine;

/// <summary>
/// A node's presence (<see cref="NodePresence"/>) and the leader's rescuer (<see cref="RunRescuer"/>) on a fake cluster store
/// and a <see cref="FakeTimeProvider"/>: the present-until deadline, joining again, and the two-look confirmation.
/// </summary>
public sealed class PresenceTests
{
    private static readonly ClusterOptions Options = new(); // presence timeout 1 s, heartbeat 5 s, node timeout 20 s
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeCluster _cluster = new();

    private NodePresence NewPresence(string node = "node-a") => new(_cluster, node, Options, _time, NullLogger.Instance);

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    [Fact]
    public async Task A_node_is_present_only_until_a_presence_timeout_after_its_last_confirmation_started()
    {
        var presence = NewPresence();
        await presence.JoinAsync(default);
        Assert.True(presence.IsPresent);

        Advance(0.9);
        Assert.True(await presence.ConfirmAsync(_cluster.Sessions[^1], default));
        Advance(0.95);
        Assert.True(presence.IsPresent);   // 1.85 s: within 1 s of the confirmation asked at 0.9 s
        Advance(0.1);
        Assert.False(presence.IsPresent);  // 1.95 s: a process paused here must not fire what it holds
        Assert.Null(presence.PresentFor);
    }

    [Fact]
    public async Task A_failed_confirmation_loses_presence_at_once_and_closes_the_session()
    {
        var presence = NewPresence();
        await presence.JoinAsync(default);
        var session = _cluster.Sessions[^1];
        session.Broken = true;

        Assert.False(await presence.ConfirmAsync(session, default));

        Assert.False(presence.IsPresent);
        Assert.True(session.Disposed);
    }

    [Fact]
    public async Task Joining_again_after_being_declared_dead_resets_before_the_node_is_present_again()
    {
        var presence = NewPresence();
        await presence.JoinAsync(default);
        var first = _cluster.Sessions[^1];
        first.DeclaredDead = true;
        Assert.False(await presence.ConfirmAsync(first, default));
        var resets = new List<bool>();
        presence.ResetAsync = _ => { resets.Add(presence.IsPresent); return Task.CompletedTask; };
        int regained = 0;
        presence.Regained += () => regained++;
        _cluster.NextJoinDeclaredDead = true;

        await presence.RejoinAsync(default);

        Assert.Equal([false], resets); // dropped what it held while not present
        Assert.True(presence.IsPresent);
        Assert.Equal(1, regained);
    }

    [Fact]
    public async Task A_reset_that_fails_gives_the_presence_up_and_is_done_at_the_next_join_though_the_mark_is_gone()
    {
        var presence = NewPresence();
        await presence.JoinAsync(default);
        _cluster.Current.Broken = true;
        Assert.False(await presence.ConfirmAsync(_cluster.Current, default));
        _cluster.NextJoinDeclaredDead = true; // only the first join sees the mark: joining clears it
        int resets = 0;
        presence.ResetAsync = _ => ++resets == 1 ? throw new IOException("database down") : Task.CompletedTask;
        int regained = 0;
        presence.Regained += () => regained++;

        await DriveAsync(presence.RejoinAsync(default), TimeSpan.FromMilliseconds(100));

        Assert.Equal(2, resets);
        Assert.True(_cluster.Sessions[^2].Disposed); // the session of the failed reset was given up (its lock with it)
        Assert.False(_cluster.Current.WasDeclaredDead);
        Assert.Equal(1, regained);
        // The driver may have advanced the clock past the presence timeout since: the session it joined still confirms.
        Assert.True(await KeepPresentAsync(presence));
        Assert.True(presence.IsPresent);
    }

    [Fact]
    public async Task Joining_again_after_a_blip_keeps_what_the_node_held()
    {
        var presence = NewPresence();
        await presence.JoinAsync(default);
        _cluster.Sessions[^1].Broken = true;
        Assert.False(await presence.ConfirmAsync(_cluster.Sessions[^1], default));
        int resets = 0, regained = 0;
        presence.ResetAsync = _ => { resets++; return Task.CompletedTask; };
        presence.Regained += () => regained++;

        await presence.RejoinAsync(default);

        Assert.Equal((0, 1), (resets, regained)); // parked attempts start now
        Assert.True(presence.IsPresent);
    }

    [Fact]
    public async Task A_start_waits_while_another_process_holds_the_node_name_then_fails()
    {
        _cluster.NameHeld = true;
        var presence = NewPresence();

        var start = presence.JoinAsync(default);
        await DriveAsync(start, TimeSpan.FromMilliseconds(500));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => start);
        Assert.Contains("METRONOME_NODE", error.Message);
        Assert.True(_cluster.JoinCalls > 10); // it kept asking for NodeTimeout + HeartbeatInterval
        Assert.False(presence.IsPresent);
    }

    [Fact]
    public async Task A_node_found_absent_is_declared_dead_only_once_looks_a_presence_timeout_apart_agree()
    {
        var (rescuer, recoveries, presence) = await LeaderAsync();
        _cluster.Absent = ["node-b"];

        await rescuer.LookAsync(default);   // first look: suspected
        await KeepPresentAsync(presence);
        Advance(0.5);
        await rescuer.LookAsync(default);   // 0.5 s later: not yet
        Assert.Empty(_cluster.Declared);
        await KeepPresentAsync(presence);
        Advance(0.5);
        await rescuer.LookAsync(default);   // 1 s after the first look: dead

        var declared = Assert.Single(_cluster.Declared);
        Assert.Equal(["node-b"], declared.Nodes);
        Assert.False(declared.EndPresence); // seen gone: a node back meanwhile would be left alone
        Assert.Equal(["node-b"], Assert.Single(recoveries).OwnerNodes!);
    }

    [Fact]
    public async Task A_node_present_again_between_looks_is_not_declared_dead()
    {
        var (rescuer, recoveries, presence) = await LeaderAsync();
        _cluster.Absent = ["node-b"];
        await rescuer.LookAsync(default);
        await KeepPresentAsync(presence);
        Advance(0.5);
        _cluster.Absent = [];               // it reconnected
        await rescuer.LookAsync(default);
        await KeepPresentAsync(presence);
        Advance(0.5);
        _cluster.Absent = ["node-b"];       // gone again: suspected anew, from this look
        await rescuer.LookAsync(default);

        Assert.Empty(_cluster.Declared);
        Assert.Empty(recoveries);
    }

    [Fact]
    public async Task Right_after_its_own_presence_returns_the_leader_does_not_judge_others()
    {
        var (rescuer, _, presence) = await LeaderAsync();
        _cluster.Absent = ["node-b", "node-c"];
        _cluster.Sessions[^1].Broken = true;         // a PostgreSQL restart: the leader's session broke too
        Assert.False(await presence.ConfirmAsync(_cluster.Sessions[^1], default));
        await presence.RejoinAsync(default);

        for (int i = 0; i < 3; i++)
        {
            await rescuer.LookAsync(default);        // everyone else is still reconnecting: no look counts yet
            Advance(0.3);
        }

        Assert.Empty(_cluster.Declared);
        Assert.Equal(0, _cluster.AbsentLooks);
    }

    [Fact]
    public async Task The_heartbeat_backstop_declares_silent_nodes_dead_ending_their_presence_never_its_own()
    {
        var (rescuer, recoveries, _) = await LeaderAsync();
        _cluster.Silent = ["node-a", "node-c"];      // node-a is this leader

        await rescuer.BackstopAsync(default);

        var declared = Assert.Single(_cluster.Declared);
        Assert.Equal(["node-c"], declared.Nodes);
        Assert.True(declared.EndPresence);
        Assert.Equal(["node-c"], Assert.Single(recoveries).OwnerNodes!);
    }

    /// <summary>This node (node-a) present for 1.2 s and leading; the rescuer's recoveries are recorded.</summary>
    private async Task<(RunRescuer Rescuer, ConcurrentQueue<RecoverParams> Recoveries, NodePresence Presence)> LeaderAsync()
    {
        var presence = NewPresence();
        await presence.JoinAsync(default);
        var elector = new LeaderElector(_cluster, presence, "node-a", Options, _time, NullLogger.Instance);
        elector.Start();
        await DriveAsync(Task.Run(async () => { while (!elector.IsLeader) await Task.Yield(); }), TimeSpan.Zero);
        await KeepPresentAsync(presence);
        Advance(0.6);
        await KeepPresentAsync(presence);
        Advance(0.6);
        var store = DispatchProxy.Create<IJobStore, RecoveryRecorder>();
        var recorder = (RecoveryRecorder)(object)store;
        var rescuer = new RunRescuer(store, _cluster, elector, presence, "node-a", Options, _time, _ => { }, NullLogger.Instance);
        Assert.True(elector.IsLeader);
        return (rescuer, recorder.Recoveries, presence);
    }

    private Task<bool> KeepPresentAsync(NodePresence presence) => presence.ConfirmAsync(_cluster.Sessions[^1], default);

    /// <summary>Advances the fake clock by <paramref name="step"/> until <paramref name="task"/> ends (bounded by 30 s of real time).</summary>
    private async Task DriveAsync(Task task, TimeSpan step)
    {
        var watch = Stopwatch.StartNew();
        while (!task.IsCompleted && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (step > TimeSpan.Zero) _time.Advance(step);
            await Task.Yield();
        }
        Assert.True(task.IsCompleted, "the task did not end");
    }

    public class RecoveryRecorder : DispatchProxy
    {
        public ConcurrentQueue<RecoverParams> Recoveries { get; } = new();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name != nameof(IJobStore.RecoverRunsAsync)) throw new NotSupportedException(targetMethod?.Name);
            Recoveries.Enqueue((RecoverParams)args![0]!);
            return Task.FromResult(new RecoverResult([], 0));
        }
    }
}

internal sealed class FakeSession(bool declaredDead) : INodePresenceSession
{
    public bool Broken { get; set; }
    public bool DeclaredDead { get; set; }
    public bool Disposed { get; private set; }
    public bool WasDeclaredDead => declaredDead;

    public int Confirms;

    public Task<bool> ConfirmAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref Confirms);
        return Broken ? Task.FromException<bool>(new IOException("connection reset")) : Task.FromResult(!DeclaredDead);
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}

internal sealed class FakeCluster : IClusterStore
{
    public List<FakeSession> Sessions { get; } = [];
    public FakeSession Current => Sessions[^1];
    public bool NameHeld { get; set; }
    public bool NextJoinDeclaredDead { get; set; }
    public int JoinCalls;
    public int AbsentLooks;
    public IReadOnlyList<string> Absent { get; set; } = [];
    public IReadOnlyList<string> Silent { get; set; } = [];
    public List<(IReadOnlyList<string> Nodes, bool EndPresence)> Declared { get; } = [];

    public Task<INodePresenceSession?> JoinAsync(string node, CancellationToken ct)
    {
        Interlocked.Increment(ref JoinCalls);
        if (NameHeld) return Task.FromResult<INodePresenceSession?>(null);
        var session = new FakeSession(NextJoinDeclaredDead);
        NextJoinDeclaredDead = false;
        Sessions.Add(session);
        return Task.FromResult<INodePresenceSession?>(session);
    }

    public Task<IReadOnlyList<string>> ListAbsentNodesAsync(CancellationToken ct)
    {
        AbsentLooks++;
        return Task.FromResult(Absent);
    }

    public Task<IReadOnlyList<string>> DeclareDeadAsync(IReadOnlyList<string> nodes, bool endPresence, CancellationToken ct)
    {
        Declared.Add((nodes, endPresence));
        return Task.FromResult(nodes);
    }

    public Task<IReadOnlyList<string>> ListDeadNodesAsync(TimeSpan nodeTimeout, CancellationToken ct) => Task.FromResult(Silent);
    public Task HeartbeatAsync(string node, CancellationToken ct) => Task.CompletedTask;
    public Task<bool> TryAcquireLeaseAsync(string name, string node, TimeSpan ttl, CancellationToken ct) => Task.FromResult(true);
    public Task ReleaseLeaseAsync(string name, string node, CancellationToken ct) => Task.CompletedTask;
    public Task RemoveNodeAsync(string node, CancellationToken ct) => Task.CompletedTask;
}
