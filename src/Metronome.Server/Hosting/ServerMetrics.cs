using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Metronome.Server.Hosting;

/// <summary>
/// The server's counters, published both as <see cref="System.Diagnostics.Metrics"/> instruments (for an
/// OpenTelemetry exporter a host may add) and as Prometheus text on <c>/metrics</c>, kept by hand so that no exporter
/// package is needed.
/// </summary>
internal sealed class ServerMetrics
{
    private readonly Counter<long> _requests;
    private readonly Counter<long> _jobsCreated;
    private readonly Counter<long> _jobsTriggered;
    private readonly ConcurrentDictionary<(string Method, int Status), long> _requestCounts = new();
    private long _jobsCreatedCount;
    private long _jobsTriggeredCount;

    public ServerMetrics(IMeterFactory meters)
    {
        var meter = meters.Create("Metronome.Server");
        _requests = meter.CreateCounter<long>("metronome.api.requests", description: "API requests answered.");
        _jobsCreated = meter.CreateCounter<long>("metronome.jobs.created", description: "Jobs created through the API.");
        _jobsTriggered = meter.CreateCounter<long>("metronome.jobs.triggered", description: "Jobs triggered through the API.");
    }

    public void RequestAnswered(string method, int status)
    {
        // Unknown methods share one label so that odd requests cannot grow the series without bound.
        method = method is "GET" or "POST" or "PUT" or "PATCH" or "DELETE" or "HEAD" or "OPTIONS" ? method : "OTHER";
        _requestCounts.AddOrUpdate((method, status), 1, (_, n) => n + 1);
        _requests.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("status", status));
    }

    public void JobCreated()
    {
        Interlocked.Increment(ref _jobsCreatedCount);
        _jobsCreated.Add(1);
    }

    public void JobTriggered()
    {
        Interlocked.Increment(ref _jobsTriggeredCount);
        _jobsTriggered.Add(1);
    }

    /// <summary>Prometheus text exposition format 0.0.4.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        text.Append("# HELP metronome_jobs_created_total Jobs created through the API.\n# TYPE metronome_jobs_created_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"metronome_jobs_created_total {Interlocked.Read(ref _jobsCreatedCount)}\n");
        text.Append("# HELP metronome_jobs_triggered_total Jobs triggered through the API.\n# TYPE metronome_jobs_triggered_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"metronome_jobs_triggered_total {Interlocked.Read(ref _jobsTriggeredCount)}\n");
        text.Append("# HELP metronome_api_requests_total API requests answered, by method and status.\n# TYPE metronome_api_requests_total counter\n");
        foreach (var ((method, status), count) in _requestCounts.OrderBy(kv => kv.Key.Method, StringComparer.Ordinal).ThenBy(kv => kv.Key.Status))
            text.Append(CultureInfo.InvariantCulture, $"metronome_api_requests_total{{method=\"{method}\",status=\"{status}\"}} {count}\n");
        return text.ToString();
    }
}
