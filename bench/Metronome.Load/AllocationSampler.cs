using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Metronome.Load;

/// <summary>
/// Which types a run allocates, from the runtime's own sampling (<c>GCAllocationTick</c>: one event per ~100 KB
/// allocated, naming the type that crossed the threshold), so the total per type is an estimate proportional to what
/// was allocated. Enabled by <c>--alloc-profile</c>; the evidence behind "Limiting factors" in bench/README.md.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new();
    private volatile bool _recording;

    public void Start() => _recording = true;
    public void Stop() => _recording = false;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_recording || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
        int typeIndex = e.PayloadNames!.IndexOf("TypeName"), amountIndex = e.PayloadNames.IndexOf("AllocationAmount64");
        if (typeIndex < 0) return;
        long amount = amountIndex >= 0 ? Convert.ToInt64(e.Payload[amountIndex]) : 100_000;
        _bytes.AddOrUpdate((string)e.Payload[typeIndex]!, amount, (_, v) => v + amount);
    }

    /// <summary>The types with the most sampled bytes, with their share and their estimated bytes per fire.</summary>
    public string Top(int count, long fires)
    {
        long total = Math.Max(1, _bytes.Values.Sum());
        var lines = _bytes.OrderByDescending(kv => kv.Value).Take(count)
            .Select(kv => $"    {kv.Value * 100.0 / total,5:F1} %  ~{(fires > 0 ? kv.Value / (double)fires : 0),6:F0} B/fire  {kv.Key}");
        return string.Join(Environment.NewLine, lines);
    }
}
