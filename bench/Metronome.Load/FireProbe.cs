using System.Diagnostics;

namespace Metronome.Load;

/// <summary>
/// What every system's no-op job body calls: counts fires whose actual start falls in the measurement window and records
/// their lateness (actual start − scheduled time) when the system tells the scheduled time. Lock-free.
/// </summary>
internal sealed class FireProbe(int latencyCapacity)
{
    private readonly LatencyRecorder _lateness = new(latencyCapacity);
    private volatile bool _open;
    private long _fires, _total;

    public long TotalFires => Interlocked.Read(ref _total);

    public void OnFire(DateTimeOffset? scheduledAt, DateTimeOffset now)
    {
        Interlocked.Increment(ref _total);
        if (!_open) return;
        Interlocked.Increment(ref _fires);
        if (scheduledAt is { } at) _lateness.Record((now - at).TotalMilliseconds);
    }

    /// <summary>Waits out the warm-up, then measures fires, CPU and allocations over <paramref name="duration"/>.</summary>
    public async Task<Dictionary<string, double>> MeasureAsync(TimeSpan warmup, TimeSpan duration, bool withLateness, AllocationSampler? sampler = null)
    {
        await Task.Delay(warmup);
        using var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        var t0 = Stopwatch.GetTimestamp();
        _open = true;
        sampler?.Start();
        await Task.Delay(duration);
        sampler?.Stop();
        _open = false;
        var elapsed = Stopwatch.GetElapsedTime(t0);
        var alloc = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0;
        long fires = Interlocked.Read(ref _fires);
        var metrics = new Dictionary<string, double>
        {
            [Metric.FiresPerSecond] = fires / elapsed.TotalSeconds,
            [Metric.Fires] = fires,
            [Metric.CpuMsPer1kFires] = fires == 0 ? double.NaN : cpu.TotalMilliseconds / fires * 1000,
            [Metric.BytesPerFire] = fires == 0 ? double.NaN : (double)alloc / fires,
        };
        if (withLateness && _lateness.Count > 0)
        {
            var (p50, p99, max) = _lateness.Percentiles();
            metrics[Metric.P50] = p50;
            metrics[Metric.P99] = p99;
            metrics[Metric.Max] = max;
        }
        return metrics;
    }
}
