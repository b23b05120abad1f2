using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metronome.Load;

/// <summary>
/// One measured (or unavailable) system on one workload. <see cref="Group"/> pairs rows for ratios: Metronome's row of a
/// group is divided by each peer's row of the same group, metric by metric, within one run.
/// </summary>
internal sealed record ResultRow(string Scenario, string Group, string System, string Workload, IReadOnlyDictionary<string, double> Metrics,
    string Status = ResultRow.Ok, string? Note = null)
{
    public const string Ok = "ok";
    public const string NotAvailable = "not available";
    public const string Failed = "failed";

    public bool IsMetronome => System.StartsWith("Metronome", StringComparison.Ordinal);

    public static ResultRow Unavailable(string scenario, string group, string system, string workload, string why) =>
        new(scenario, group, system, workload, new Dictionary<string, double>(), NotAvailable, why);
}

/// <summary>Metronome ÷ peer for one metric of one group (higher is better for rates, lower for costs; see <see cref="Better"/>).</summary>
internal sealed record Ratio(string Group, string Metronome, string Peer, string Metric, double Value, string Better);

internal sealed record MachineInfo(int Cores, long MemoryBytes, string Os, string Runtime, string Architecture, bool ServerGc, string Machine)
{
    public static MachineInfo Current()
    {
        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return new(Environment.ProcessorCount, memory, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription,
            RuntimeInformation.ProcessArchitecture.ToString(), System.Runtime.GCSettings.IsServerGC, Environment.MachineName);
    }
}

/// <summary>The rows of one harness run, with machine info and pair-by-pair ratios; written as markdown and JSON.</summary>
internal sealed class RunReport
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Metrics where a larger value is better; every other metric is a cost (smaller is better).</summary>
    private static readonly HashSet<string> HigherIsBetter = [Metric.FiresPerSecond, Metric.CreatesPerSecond];

    public MachineInfo Machine { get; } = MachineInfo.Current();
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
    public List<ResultRow> Rows { get; } = [];

    public IReadOnlyList<Ratio> Ratios()
    {
        var ratios = new List<Ratio>();
        foreach (var group in Rows.Where(r => r.Status == ResultRow.Ok).GroupBy(r => r.Group))
            foreach (var m in group.Where(r => r.IsMetronome))
                foreach (var peer in group.Where(r => !r.IsMetronome))
                    foreach (var (metric, value) in m.Metrics)
                        if (Metric.Compared.Contains(metric) && peer.Metrics.TryGetValue(metric, out var other) && other != 0 && double.IsFinite(other))
                            ratios.Add(new Ratio(group.Key, m.System, peer.System, metric, value / other, HigherIsBetter.Contains(metric) ? "higher" : "lower"));
        return ratios;
    }

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine.Cores} cores, {Machine.MemoryBytes / (1 << 20)} MiB, {Machine.Os}, {Machine.Runtime}, {(Machine.ServerGc ? "server" : "workstation")} GC; run {StartedAt:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine();
        sb.AppendLine("| scenario | system | workload | fires/s | lateness p50 / p99 / max (ms) | CPU ms per 1k fires | B alloc per fire | other | status |");
        sb.AppendLine("|---|---|---|---:|---|---:|---:|---|---|");
        foreach (var r in Rows)
        {
            string M(string key, string format) => r.Metrics.TryGetValue(key, out var v) ? v.ToString(format, CultureInfo.InvariantCulture) : "–";
            var lateness = r.Metrics.ContainsKey(Metric.P99) ? $"{M(Metric.P50, "F2")} / {M(Metric.P99, "F2")} / {M(Metric.Max, "F1")}" : "–";
            var other = string.Join("; ", r.Metrics.Where(kv => !Metric.Tabled.Contains(kv.Key))
                .Select(kv => $"{kv.Key} {kv.Value.ToString(kv.Value >= 100 ? "F0" : "G4", CultureInfo.InvariantCulture)}"));
            var status = r.Status + (r.Note is null ? "" : $": {r.Note}");
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Scenario} | {r.System} | {r.Workload} | {M(Metric.FiresPerSecond, "F0")} | {lateness} | {M(Metric.CpuMsPer1kFires, "F1")} | {M(Metric.BytesPerFire, "F0")} | {other} | {status} |");
        }
        var ratios = Ratios();
        if (ratios.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("| group | Metronome / peer | metric | ratio | better when |");
            sb.AppendLine("|---|---|---|---:|---|");
            foreach (var x in ratios)
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {x.Group} | {x.Metronome} / {x.Peer} | {x.Metric} | {x.Value:F2}× | {x.Better} |");
        }
        return sb.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(new { Machine, StartedAt, Rows, Ratios = Ratios() }, Json);

    /// <summary>Writes <c>&lt;name&gt;.md</c> and <c>&lt;name&gt;.json</c> into <paramref name="directory"/>; returns the markdown path.</summary>
    public string Write(string directory, string name)
    {
        Directory.CreateDirectory(directory);
        var md = Path.Combine(directory, name + ".md");
        File.WriteAllText(md, ToMarkdown());
        File.WriteAllText(Path.Combine(directory, name + ".json"), ToJson());
        return md;
    }
}

/// <summary>Metric names, as they appear in the JSON.</summary>
internal static class Metric
{
    public const string FiresPerSecond = "fires_per_s";
    public const string Fires = "fires";
    public const string CpuMsPer1kFires = "cpu_ms_per_1k_fires";
    public const string BytesPerFire = "bytes_alloc_per_fire";
    public const string P50 = "lateness_p50_ms";
    public const string P99 = "lateness_p99_ms";
    public const string Max = "lateness_max_ms";
    public const string CreatesPerSecond = "creates_per_s";
    public const string HeapBytesPerJob = "gc_heap_bytes_per_job";
    public const string WorkingSetBytesPerJob = "working_set_bytes_per_job";
    public const string LoadSeconds = "load_s";
    public const string Failures = "failures";
    public const string CapacityPerSecond = "capacity_fires_per_s";
    public const string ApiP50 = "api_p50_ms";
    public const string ApiP99 = "api_p99_ms";
    public const string ApiMax = "api_max_ms";
    public const string ApiRequests = "api_requests";

    public static readonly HashSet<string> Tabled = [FiresPerSecond, CpuMsPer1kFires, BytesPerFire, P50, P99, Max];
    public static readonly HashSet<string> Compared = [FiresPerSecond, CpuMsPer1kFires, BytesPerFire, P50, P99, Max, CreatesPerSecond];
}
