using System.Diagnostics;
using System.Diagnostics.Metrics;
using Metronome.Core.Runs;

namespace Metronome.Core.Telemetry;

/// <summary>
/// The engine's instruments on the <see cref="MetronomeTelemetry.Name"/> meter (SPEC §7), recorded where the engine already
/// knows the facts: the dispatcher (runs, lateness, duration), the due loop (claim duration), the completion writer (commit
/// duration); the gauges read the engine's state when a collector asks (<see cref="Observe"/>).
/// </summary>
/// <remarks>
/// Every fire records three measurements: each is skipped when no listener enabled the instrument (<see cref="Instrument.Enabled"/>),
/// and tags go in a <see cref="TagList"/> (a struct holding up to eight tags inline), so a fire allocates nothing here.
/// The meter comes from the host's <see cref="IMeterFactory"/> when it has one (each host, and each test, then has its own
/// meter instance); otherwise it is this object's own, disposed with it.
/// </remarks>
internal sealed class EngineMetrics : IDisposable
{
    /// <summary>Seconds, from a millisecond to five minutes (the default boundaries are milliseconds-sized: 0 … 10,000).</summary>
    private static readonly InstrumentAdvice<double> Seconds = new()
    {
        HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    };

    private static readonly string[] StatusNames = [.. Enum.GetValues<RunStatus>().Select(s => s.ToWire())];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _runs;
    private readonly Histogram<double> _lateness;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _claim;
    private readonly Histogram<double> _commit;
    private Func<int>? _scheduled;
    private Func<int>? _inFlight;
    private Func<int?>? _nodes;
    private Func<bool>? _leader;

    public EngineMetrics(IMeterFactory? factory)
    {
        _ownsMeter = factory is null;
        _meter = factory?.Create(MetronomeTelemetry.Name) ?? new Meter(MetronomeTelemetry.Name);
        _runs = _meter.CreateCounter<long>("metronome.runs", "{run}", "Attempts finished, by status, event type and product.");
        _lateness = _meter.CreateHistogram<double>("metronome.run.lateness", "s", "Start of an attempt minus its due instant.", tags: null, advice: Seconds);
        _duration = _meter.CreateHistogram<double>("metronome.run.duration", "s", "How long an attempt ran.", tags: null, advice: Seconds);
        _claim = _meter.CreateHistogram<double>("metronome.claim.duration", "s", "One claim transaction of due slots.", tags: null, advice: Seconds);
        _commit = _meter.CreateHistogram<double>("metronome.store.commit.duration", "s", "One group commit of run outcomes.", tags: null, advice: Seconds);
        _meter.CreateObservableGauge("metronome.jobs.scheduled", () => Read(_scheduled), "{job}", "Jobs in this node's due queue.");
        _meter.CreateObservableGauge("metronome.runs.in_flight", () => Read(_inFlight), "{run}", "Attempts executing on this node now.");
        _meter.CreateObservableGauge("metronome.cluster.nodes", ReadNodes, "{node}", "Live nodes of the cluster (1 on a single node).");
        _meter.CreateObservableGauge("metronome.cluster.leader", ReadLeader, "{leader}", "1 on the node that holds the leader lease, else 0.");
    }

    /// <summary>The meter (tests filter their listener by it).</summary>
    public Meter Meter => _meter;

    /// <summary>Gives the gauges their sources; until then they report nothing.</summary>
    /// <param name="nodes">Live nodes, null while not known yet.</param>
    public void Observe(Func<int> scheduled, Func<int> inFlight, Func<int?> nodes, Func<bool> leader) =>
        (_scheduled, _inFlight, _nodes, _leader) = (scheduled, inFlight, nodes, leader);

    /// <summary>An attempt finished (or was recorded without running: expired in its line, abandoned).</summary>
    /// <param name="lateness">Start minus due; null when the attempt never started (then neither histogram records it).</param>
    public void AttemptFinished(string product, string eventType, RunStatus status, TimeSpan? lateness, TimeSpan duration)
    {
        if (_runs.Enabled)
        {
            var tags = new TagList { { "status", StatusNames[(int)status] }, { "event_type", eventType }, { "product", product } };
            _runs.Add(1, in tags);
        }
        if (lateness is not { } late) return;
        if (_lateness.Enabled) _lateness.Record(late.TotalSeconds, new KeyValuePair<string, object?>("event_type", eventType));
        if (_duration.Enabled) _duration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("event_type", eventType));
    }

    public bool MeasuresClaims => _claim.Enabled;

    public void ClaimTook(TimeSpan elapsed) => _claim.Record(elapsed.TotalSeconds);

    public bool MeasuresCommits => _commit.Enabled;

    public void CommitTook(TimeSpan elapsed) => _commit.Record(elapsed.TotalSeconds);

    private static Measurement<int>[] Read(Func<int>? source) => source is null ? [] : [new Measurement<int>(source())];

    private Measurement<int>[] ReadNodes() => _nodes?.Invoke() is { } n ? [new Measurement<int>(n)] : [];

    private Measurement<int>[] ReadLeader() => _leader is null ? [] : [new Measurement<int>(_leader() ? 1 : 0)];

    public void Dispose()
    {
        if (_ownsMeter) _meter.Dispose();
    }
}
