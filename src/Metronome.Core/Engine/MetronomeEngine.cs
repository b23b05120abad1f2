using Metronome.Core.Engine.Cluster;
using Metronome.Core.Hosting;
using Metronome.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Metronome.Core.Engine;

/// <summary>
/// The scheduler of one node, as a hosted service. It only orders start and stop: it migrates the store, recovers
/// interrupted runs, loads the schedule, then starts the services that do the work (each a small <see cref="EngineService"/>,
/// registered by <see cref="MetronomeServiceCollectionExtensions"/>): the <see cref="CompletionWriter"/>, the
/// <see cref="DueScheduler"/> (the due loop), the products' caps and the chores; it stops them in reverse order within the
/// host's shutdown token. The <see cref="RunDispatcher"/> fires claimed attempts at their instant in between.
/// <para>
/// On a store that implements <see cref="IClusterStore"/> (PostgreSQL) the engine is one node of a cluster: every node holds
/// the whole schedule but claims mostly its own share of the jobs (the store partitions by the ring of live nodes and lets
/// any node take over a job overdue past a grace; the claim transaction decides), heartbeats, and one leader recovers runs
/// of dead nodes and prunes; changes made on other nodes arrive through <see cref="IScheduleChangeFeed"/>. See Cluster/README.md.
/// On any other store it is a single node and recovers every interrupted run at start.
/// </para>
/// <para>
/// A graceful stop (SIGTERM) is paced by the host's shutdown timeout (<see cref="HostOptions.ShutdownTimeout"/>): claiming
/// stops at once (<see cref="StoppingAsync"/>); attempts not started are handed back; attempts running finish and their
/// outcomes are written, until a reserve before the host's deadline (<see cref="StopDeadline"/>), when the rest are
/// cancelled and handed back too (<see cref="IJobStore.HandBackRunsAsync"/>: the next owner runs them as the same attempt);
/// then the node leaves the cluster so the leader takes them over at once. Every step is bounded by the host's token.
/// </para>
/// </summary>
internal sealed class MetronomeEngine : IHostedLifecycleService, IAsyncDisposable
{
    private readonly IJobStore _store;
    private readonly IClusterStore? _cluster;
    private readonly TimeProvider _time;
    private readonly MetronomeOptions _options;
    private readonly ILogger _logger;
    private readonly ProductConcurrencyCaps _caps;
    private readonly DueScheduler _scheduler;
    private readonly RunDispatcher _dispatcher;
    private readonly CompletionWriter _writer;
    private readonly NodePresence _presence;
    private readonly IReadOnlyList<EngineService> _chores;
    private readonly EngineService? _membership;
    private readonly TimeSpan _shutdownTimeout;
    private int _state; // 0 new, 1 started, 2 stopped
    private int _disposed;
    private long _stopBeganTicks; // when the host began stopping (0: not yet)

    /// <param name="shutdownTimeout">The host's shutdown timeout (<see cref="HostOptions.ShutdownTimeout"/>), which paces a stop.</param>
    internal MetronomeEngine(IJobStore store, IClusterStore? cluster, TimeProvider time, IOptions<MetronomeOptions> options,
        ILogger<MetronomeEngine> logger, EngineProbe probe, ProductConcurrencyCaps caps, DueScheduler scheduler, RunDispatcher dispatcher,
        CompletionWriter writer, EngineChores chores, NodePresence presence, TimeSpan shutdownTimeout, Telemetry.EngineMetrics metrics,
        LeaderElector? elector)
    {
        (_store, _cluster, _time, _options, _logger, Probe) = (store, cluster, time, options.Value, logger, probe);
        (_caps, _scheduler, _dispatcher, _writer, _chores, _membership) = (caps, scheduler, dispatcher, writer, chores.Services, chores.Membership);
        (_presence, _shutdownTimeout) = (presence, shutdownTimeout);
        presence.ResetAsync = ResetAfterDeclaredDeadAsync;
        // A single node is the whole cluster and its leader; a cluster node counts the live nodes at each heartbeat.
        var heartbeat = chores.Membership as NodeHeartbeat;
        metrics.Observe(() => scheduler.ScheduledJobs, () => dispatcher.Running,
            () => cluster is null ? 1 : heartbeat?.LiveNodes, () => cluster is null || elector?.IsLeader == true);
    }

    /// <summary>Progress counters and named signals tests and metrics can await.</summary>
    public EngineProbe Probe { get; }

    /// <summary>Number of jobs in the in-memory due queue.</summary>
    public int ScheduledJobs => _scheduler.ScheduledJobs;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) return;
        await _store.MigrateAsync(cancellationToken);
        // Single-node start: every run left running belongs to a previous life of this store's node(s). In a cluster, only
        // this node's own: its presence (taken first) guarantees no other live process uses this node name, and other nodes'
        // runs are the leader's to recover once they are declared dead.
        if (_cluster is not null)
        {
            await _presence.JoinAsync(cancellationToken);
            await _cluster.HeartbeatAsync(_options.NodeName, cancellationToken);
        }
        var recovered = await _store.RecoverRunsAsync(
            new RecoverParams(_options.NodeName, _time.GetUtcNow(), _cluster is null ? null : [_options.NodeName]), cancellationToken);
        if (recovered.Resume.Count + recovered.Abandoned > 0)
            _logger.LogWarning("Recovered {Resumed} interrupted runs and abandoned {Abandoned}", recovered.Resume.Count, recovered.Abandoned);
        await _caps.LoadAsync(cancellationToken);
        var jobs = await _scheduler.ReloadAsync(cancellationToken);
        _logger.LogInformation("Engine {Node} started with {Jobs} scheduled jobs", _options.NodeName, jobs);
        _writer.Start();
        _scheduler.Start();
        _caps.Start();
        _membership?.Start();
        foreach (var chore in _chores) chore.Start();
        _dispatcher.Dispatch(recovered.Resume);
    }

    Task IHostedLifecycleService.StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedLifecycleService.StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The host begins stopping (before any hosted service stops, the web server included): claiming stops now, and
    /// the host's shutdown timeout counts from here.</summary>
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) != 1) return Task.CompletedTask;
        var claims = _scheduler.StopAsync(cancellationToken); // the due loop is told to quit at once; a claim in progress commits
        BeginStop();
        return claims;
    }

    /// <summary>
    /// This node joined again after the leader declared it dead (its running runs were taken over): it drops every attempt
    /// it held but had not started, takes back its own runs still left running (claimed in the moment before the declaration
    /// reached it; usually none), and reloads the schedule, as a restart would.
    /// </summary>
    private async Task ResetAfterDeclaredDeadAsync(CancellationToken ct)
    {
        var dropped = _dispatcher.DropHeld();
        var recovered = await _store.RecoverRunsAsync(new RecoverParams(_options.NodeName, _time.GetUtcNow(), [_options.NodeName]), ct);
        _logger.LogWarning("Dropped {Dropped} attempts held when declared dead; took back {Resumed} own runs and abandoned {Abandoned}",
            dropped, recovered.Resume.Count, recovered.Abandoned);
        await _scheduler.ReloadAsync(ct);
        _dispatcher.Dispatch(recovered.Resume);
    }

    Task IHostedLifecycleService.StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Stops claiming, hands back what has not started, lets running attempts finish and writes their outcomes until a reserve
    /// before the host's deadline, then cancels and hands back the rest, and leaves the cluster; all within
    /// <paramref name="cancellationToken"/> (the host's shutdown timeout). What cannot be written then stays <c>running</c>
    /// for recovery, as after a crash.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => StopAsync(null, cancellationToken);

    /// <param name="cancelAt">When to cancel running attempts; null: a reserve before the host's deadline.</param>
    private async Task StopAsync(DateTimeOffset? cancelAt, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1) return;
        var claims = _scheduler.StopAsync(cancellationToken);
        var began = BeginStop();
        cancelAt ??= StopDeadline.CancelAt(began, _shutdownTimeout);
        await claims;
        for (int i = _chores.Count - 1; i >= 0; i--) await _chores[i].StopAsync(cancellationToken);
        await _caps.StopAsync(cancellationToken);
        var drained = await _dispatcher.StopAsync(cancelAt, cancellationToken);
        await _writer.StopAsync(cancellationToken);
        var (handedBack, handBackError) = await HandBackAsync(drained.HandBack, cancellationToken);
        // Leaving the cluster last (the presence session, then the node's row): the leader's rescuer then takes the
        // handed-back runs over at once.
        await _presence.ReleaseAsync();
        if (_membership is not null) await _membership.StopAsync(cancellationToken);
        LogStopped(began, drained, handedBack, handBackError);
    }

    /// <summary>The stop begins: nothing starts any more (what was claimed and what a claim in progress brings is handed back).</summary>
    private DateTimeOffset BeginStop()
    {
        Interlocked.CompareExchange(ref _stopBeganTicks, _time.GetUtcNow().UtcTicks, 0);
        _dispatcher.BeginStop();
        return new DateTimeOffset(Interlocked.Read(ref _stopBeganTicks), TimeSpan.Zero);
    }

    private async Task<(int HandedBack, string? Error)> HandBackAsync(IReadOnlyList<RunHandBack> runs, CancellationToken ct)
    {
        if (runs.Count == 0) return (0, null);
        try
        {
            return (await _store.HandBackRunsAsync(new HandBackParams(_options.NodeName, runs), ct), null);
        }
        catch (Exception ex)
        {
            return (0, ex is OperationCanceledException ? "the shutdown timeout ended first" : ex.Message);
        }
    }

    /// <summary>The one line a stop writes: what finished, what was handed back, what could not be written.</summary>
    private void LogStopped(DateTimeOffset began, DispatcherStop drained, int handedBack, string? handBackError)
    {
        var elapsed = (long)(_time.GetUtcNow() - began).TotalMilliseconds;
        int unwritten = _writer.LeftAtStop;
        if (handBackError is null && unwritten == 0 && drained.StillRunning == 0)
        {
            _logger.LogInformation("Engine {Node} stopped after {Elapsed} ms: {Finished} attempts finished during the stop, {HandedBack} handed back to run again as the same attempt",
                _options.NodeName, elapsed, drained.Finished, handedBack);
            return;
        }
        _logger.LogWarning("Engine {Node} stopped after {Elapsed} ms: {Finished} attempts finished during the stop, {HandedBack} handed back; not written, left running for recovery: {Unwritten} outcomes, {NotHandedBack} hand-backs ({Error}), {StillRunning} attempts still running at the deadline",
            _options.NodeName, elapsed, drained.Finished, handedBack, unwritten, handBackError is null ? 0 : drained.HandBack.Count, handBackError ?? "none failed",
            drained.StillRunning);
    }

    /// <summary>
    /// Stops the engine if no host did (a host disposed without stopping it): nothing more waits for running attempts, which
    /// are cancelled and handed back at once; the whole stop is bounded by the host's shutdown timeout. Safe to call more than once.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var timeout = _shutdownTimeout < TimeSpan.Zero || _shutdownTimeout.TotalMilliseconds > int.MaxValue ? Timeout.InfiniteTimeSpan : _shutdownTimeout;
        using (var bound = new CancellationTokenSource(timeout))
            await StopAsync(_time.GetUtcNow(), bound.Token);
        await _dispatcher.DisposeAsync();
    }
}
