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
/// </summary>
internal sealed class MetronomeEngine : IHostedService, IAsyncDisposable
{
    /// <summary>How long <see cref="DisposeAsync"/> gives a stop that no host bounded (running attempts, the final flush).</summary>
    private static readonly TimeSpan DisposeGrace = TimeSpan.FromSeconds(5);

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
    private int _state; // 0 new, 1 started, 2 stopped
    private int _disposed;

    internal MetronomeEngine(IJobStore store, IClusterStore? cluster, TimeProvider time, IOptions<MetronomeOptions> options,
        ILogger<MetronomeEngine> logger, EngineProbe probe, ProductConcurrencyCaps caps, DueScheduler scheduler, RunDispatcher dispatcher,
        CompletionWriter writer, EngineChores chores, NodePresence presence)
    {
        (_store, _cluster, _time, _options, _logger, Probe) = (store, cluster, time, options.Value, logger, probe);
        (_caps, _scheduler, _dispatcher, _writer, _chores, _presence) = (caps, scheduler, dispatcher, writer, chores.Services, presence);
        presence.ResetAsync = ResetAfterDeclaredDeadAsync;
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
        foreach (var chore in _chores) chore.Start();
        _dispatcher.Dispatch(recovered.Resume);
    }

    /// <summary>Stops claiming, lets running attempts finish and writes their outcomes, all within <paramref name="cancellationToken"/>
    /// (the host's shutdown timeout); what is left then stays <c>running</c> for recovery, as after a crash.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1) return;
        await _scheduler.StopAsync(cancellationToken);
        for (int i = _chores.Count - 1; i >= 0; i--) await _chores[i].StopAsync(cancellationToken);
        await _caps.StopAsync(cancellationToken);
        await _dispatcher.StopAsync(cancellationToken);
        await _writer.StopAsync(cancellationToken);
        await _presence.ReleaseAsync();
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

    /// <summary>Stops the engine (within a few seconds) if no host did; safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        using (var grace = new CancellationTokenSource(DisposeGrace)) await StopAsync(grace.Token);
        await _dispatcher.DisposeAsync();
    }
}
