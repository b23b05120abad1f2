using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine.Cluster;

/// <summary>
/// On the leader, finds dead nodes and takes their running runs over (<see cref="IJobStore.RecoverRunsAsync"/>: retried as the
/// next attempt with the same idempotency key when attempts remain, else recorded abandoned; taken-over attempts run on this
/// node). Two ways to find them (Cluster/README.md, "Presence"):
/// <list type="bullet">
/// <item>every half <see cref="ClusterOptions.PresenceTimeout"/>, nodes whose presence is gone
/// (<see cref="IClusterStore.ListAbsentNodesAsync"/>); a node is declared dead once it was found gone on looks at least a
/// <see cref="ClusterOptions.PresenceTimeout"/> apart, and only while this node's own presence has held that long, since right
/// after a PostgreSQL restart every other node is still reconnecting;</item>
/// <item>every <see cref="ClusterOptions.HeartbeatInterval"/>, the heartbeat backstop (<see cref="IClusterStore.ListDeadNodesAsync"/>):
/// a paused process or a lost host, whose presence may still look held; its presence is ended as it is declared dead.</item>
/// </list>
/// A node declared dead leaves the claim ring at once (its jobs are claimed on time by the others) and claims nothing until it
/// joins again.
/// </summary>
internal sealed class RunRescuer(IJobStore store, IClusterStore cluster, LeaderElector elector, NodePresence presence, string node,
    ClusterOptions options, TimeProvider time, Action<IReadOnlyList<ClaimedRun>> dispatch, ILogger logger) : EngineService(logger)
{
    private readonly Dictionary<string, long> _absentSince = new(StringComparer.Ordinal); // node → timestamp of the first look that found it gone
    private long _lastBackstop;

    protected override async Task RunAsync(CancellationToken stop)
    {
        _lastBackstop = time.GetTimestamp();
        while (await WaitAsync(options.PresenceTimeout / 2, time, stop))
        {
            try
            {
                await LookAsync(stop);
                if (time.GetElapsedTime(_lastBackstop) >= options.HeartbeatInterval)
                {
                    _lastBackstop = time.GetTimestamp();
                    await BackstopAsync(stop);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                Logger.LogWarning("Looking for dead nodes failed ({Error}); looking again in {Interval}", ex.Message, options.PresenceTimeout / 2);
            }
        }
    }

    /// <summary>One look at presence: declares dead the nodes found gone on looks a whole presence timeout apart.</summary>
    internal async Task LookAsync(CancellationToken ct)
    {
        if (!elector.IsLeader || presence.PresentFor is not { } held || held < options.PresenceTimeout)
        {
            _absentSince.Clear(); // looks taken before this node was settled as leader do not count
            return;
        }
        var absent = await cluster.ListAbsentNodesAsync(ct);
        var now = time.GetTimestamp();
        foreach (var back in _absentSince.Keys.Where(n => !absent.Contains(n, StringComparer.Ordinal)).ToList()) _absentSince.Remove(back);
        List<string>? confirmed = null;
        foreach (var name in absent)
        {
            if (name == node) continue; // our own session: NodePresence notices and joins again
            if (!_absentSince.TryGetValue(name, out var since)) _absentSince[name] = now;
            else if (time.GetElapsedTime(since, now) >= options.PresenceTimeout) (confirmed ??= []).Add(name);
        }
        if (confirmed is null) return;
        foreach (var name in confirmed) _absentSince.Remove(name);
        var dead = await cluster.DeclareDeadAsync(confirmed, endPresence: false, ct);
        if (dead.Count > 0) await TakeOverAsync(dead, "their presence ended", ct);
    }

    /// <summary>The heartbeat backstop: nodes silent for <see cref="ClusterOptions.NodeTimeout"/>, and runs still left by nodes declared dead.</summary>
    internal async Task BackstopAsync(CancellationToken ct)
    {
        if (!elector.IsLeader) return;
        var silent = (await cluster.ListDeadNodesAsync(options.NodeTimeout, ct)).Where(n => n != node).ToList();
        if (silent.Count == 0) return;
        var dead = await cluster.DeclareDeadAsync(silent, endPresence: true, ct);
        if (dead.Count > 0) await TakeOverAsync(dead, "they stopped heartbeating", ct);
    }

    private async Task TakeOverAsync(IReadOnlyList<string> dead, string why, CancellationToken ct)
    {
        var recovered = await store.RecoverRunsAsync(new RecoverParams(node, time.GetUtcNow(), dead), ct);
        Logger.LogWarning("Node(s) {Dead} declared dead ({Why}): took over {Resumed} interrupted runs and abandoned {Abandoned}",
            string.Join(", ", dead), why, recovered.Resume.Count, recovered.Abandoned);
        dispatch(recovered.Resume);
    }
}
