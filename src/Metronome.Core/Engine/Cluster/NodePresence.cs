using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Engine.Cluster;

/// <summary>
/// This node's presence in the cluster (Cluster/README.md, "Presence"): a session of the store that ends when the process
/// dies (<see cref="IClusterStore.JoinAsync"/>), confirmed every quarter of <see cref="ClusterOptions.PresenceTimeout"/>.
/// The node may claim and fire only while <see cref="IsPresent"/>: up to <see cref="ClusterOptions.PresenceTimeout"/> after
/// the last confirmation <i>started</i> (a monotonic deadline, so a process paused past it stops before it fires anything,
/// whatever it believed before the pause). When a confirmation fails the node joins again, backing off; if it was declared
/// dead meanwhile, <see cref="ResetAsync"/> drops what it held before it acts again. Without a cluster store it is always present.
/// </summary>
internal sealed class NodePresence(IClusterStore? cluster, string node, ClusterOptions options, TimeProvider time, ILogger logger) : EngineService(logger)
{
    private readonly AsyncSignal _regained = new();
    private INodePresenceSession? _session;
    private long _presentUntil; // timestamp (TimeProvider.GetTimestamp) up to which this node may act
    private long _presentSince; // timestamp of the join the current presence started with
    private bool _resetPending; // joined after being declared dead, and the reset has not completed yet (the mark is cleared by then)

    /// <summary>Whether this node may claim and start attempts now.</summary>
    public bool IsPresent => cluster is null || (Volatile.Read(ref _session) is not null && time.GetTimestamp() < Interlocked.Read(ref _presentUntil));

    /// <summary>How long this node has been present without a break; null while it is not.</summary>
    public TimeSpan? PresentFor => IsPresent && cluster is not null ? time.GetElapsedTime(Interlocked.Read(ref _presentSince)) : IsPresent ? TimeSpan.MaxValue : null;

    /// <summary>
    /// Run after joining again when the node had been declared dead (its running runs were taken over by the leader):
    /// drop every attempt held, take back this node's own runs still left running, reload the schedule. The node is not
    /// present until it returns.
    /// </summary>
    public Func<CancellationToken, Task>? ResetAsync { get; set; }

    /// <summary>Raised when the node is present again after a lapse: attempts held back meanwhile may start.</summary>
    public event Action? Regained;

    /// <summary>
    /// The first join, at start (before the node recovers its own runs): waits while another live process holds this node's
    /// name, up to <see cref="ClusterOptions.NodeTimeout"/> + <see cref="ClusterOptions.HeartbeatInterval"/> (long enough for
    /// the leader to end the session of a previous life that is only paused or cut off), then fails the start.
    /// </summary>
    public async Task JoinAsync(CancellationToken ct)
    {
        if (cluster is null) return;
        var started = time.GetTimestamp();
        var patience = options.NodeTimeout + options.HeartbeatInterval;
        bool warned = false;
        while (true)
        {
            var asked = time.GetTimestamp();
            if (await cluster.JoinAsync(node, ct) is { } session)
            {
                Accept(session, asked);
                return;
            }
            if (time.GetElapsedTime(started) >= patience)
                throw new InvalidOperationException(
                    $"Node name '{node}' is held by another live process on this database, for {patience.TotalSeconds:0} s; node names (METRONOME_NODE) must be unique.");
            if (!warned) Logger.LogWarning("Node name {Node} is held by another live process; waiting up to {Patience} for it to end", node, patience);
            warned = true;
            await Task.Delay(options.PresenceTimeout / 2, time, ct);
        }
    }

    /// <summary>
    /// Waits until the node is present again or <paramref name="atMost"/> has passed (true), or <paramref name="stop"/>
    /// fires (false). A caller that gives <paramref name="atMost"/> checks <see cref="IsPresent"/> again itself.
    /// </summary>
    public async Task<bool> WaitPresentAsync(CancellationToken stop, TimeSpan? atMost = null)
    {
        var until = atMost is { } limit ? time.GetTimestamp() + (long)(limit.TotalSeconds * time.TimestampFrequency) : long.MaxValue;
        while (!IsPresent && time.GetTimestamp() < until)
        {
            if (stop.IsCancellationRequested) return false;
            var regained = _regained.WaitAsync();
            try { await Task.WhenAny(regained, Task.Delay(options.PresenceTimeout / 4, time, stop)); }
            catch (OperationCanceledException) { return false; }
            _regained.Reset();
        }
        return !stop.IsCancellationRequested;
    }

    protected override async Task RunAsync(CancellationToken stop)
    {
        if (cluster is null) return;
        var every = options.PresenceTimeout / 4;
        while (await WaitAsync(every, time, stop))
        {
            if (Volatile.Read(ref _session) is { } session && await ConfirmAsync(session, stop)) continue;
            if (stop.IsCancellationRequested) return;
            await RejoinAsync(stop);
        }
    }

    /// <summary>One confirmation; extends the deadline from the instant it was asked. False: presence lost (the session is closed).</summary>
    internal async Task<bool> ConfirmAsync(INodePresenceSession session, CancellationToken stop)
    {
        var asked = time.GetTimestamp();
        string why;
        try
        {
            using var bounded = new CancellationTokenSource(options.PresenceTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, bounded.Token);
            if (await session.ConfirmAsync(linked.Token))
            {
                Extend(asked);
                return true;
            }
            why = "the leader declared it dead";
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return true; // stopping: leave the session to OnStoppedAsync
        }
        catch (Exception ex)
        {
            why = ex.Message;
        }
        Logger.LogWarning("Node {Node} lost its presence ({Why}); it stops claiming and firing and joins again", node, why);
        Interlocked.Exchange(ref _presentUntil, 0);
        Volatile.Write(ref _session, null);
        try { await session.DisposeAsync(); }
        catch (Exception ex) { Logger.LogDebug("Closing the lost presence session failed: {Error}", ex.Message); }
        return false;
    }

    /// <summary>Joins again with backoff (100 ms doubling up to half the presence timeout) until it succeeds or the service stops.</summary>
    internal async Task RejoinAsync(CancellationToken stop)
    {
        var backoff = TimeSpan.FromMilliseconds(Math.Min(100, options.PresenceTimeout.TotalMilliseconds / 4));
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var asked = time.GetTimestamp();
                if (await cluster!.JoinAsync(node, stop) is { } session)
                {
                    // Joining cleared the mark: remember it until the reset is done, in case the reset fails and we join again.
                    _resetPending |= session.WasDeclaredDead;
                    try
                    {
                        if (_resetPending && ResetAsync is { } reset)
                        {
                            Logger.LogWarning("Node {Node} was declared dead while away: dropping what it held and reloading", node);
                            await reset(stop);
                        }
                    }
                    catch
                    {
                        await session.DisposeAsync(); // give the lock up: the next join must be able to take it
                        throw;
                    }
                    _resetPending = false;
                    Accept(session, asked);
                    Logger.LogInformation("Node {Node} is present again", node);
                    Regained?.Invoke();
                    return;
                }
                Logger.LogError("Node name {Node} is held by another live process: this one claims nothing until the name is free", node);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                Logger.LogDebug("Joining again failed: {Error}", ex.Message);
            }
            if (!await WaitAsync(backoff, time, stop)) return;
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, (options.PresenceTimeout / 2).Ticks));
        }
    }

    private void Accept(INodePresenceSession session, long asked)
    {
        Interlocked.Exchange(ref _presentSince, asked);
        Extend(asked);
        Volatile.Write(ref _session, session);
        _regained.Set();
    }

    private void Extend(long asked) =>
        Interlocked.Exchange(ref _presentUntil, asked + (long)(options.PresenceTimeout.TotalSeconds * time.TimestampFrequency));

    /// <summary>
    /// A graceful stop ends the confirmations but keeps the presence (and the session) until <see cref="ReleaseAsync"/>, once
    /// the engine has drained: the attempts finishing during the drain are still this node's.
    /// </summary>
    protected override Task OnStoppedAsync(CancellationToken shutdown)
    {
        if (Volatile.Read(ref _session) is not null) Interlocked.Exchange(ref _presentUntil, long.MaxValue);
        return Task.CompletedTask;
    }

    /// <summary>Gives the presence up (the session ends, and with it the lock): the last step of a graceful stop.</summary>
    public async Task ReleaseAsync()
    {
        Interlocked.Exchange(ref _presentUntil, 0);
        if (Interlocked.Exchange(ref _session, null) is not { } session) return;
        try { await session.DisposeAsync(); }
        catch (Exception ex) { Logger.LogDebug("Closing the presence session failed: {Error}", ex.Message); }
    }
}
