using BenchmarkDotNet.Attributes;
using Metronome.Core.Engine;

namespace Metronome.Benchmarks;

/// <summary>
/// The engine's in-memory due queue (<c>Core/Engine/DueQueue.cs</c>, compiled in from source) at 10k / 100k / 1M jobs:
/// insert, pop everything due in a 20 ms look-ahead window, and reschedule. Operations per invocation are reported
/// per job (<c>OperationsPerInvoke</c>) where a whole batch is timed.
/// </summary>
[MemoryDiagnoser]
public class DueQueueBenchmarks
{
    private const int Batch = 1000;
    private DueQueue _queue = null!;
    private readonly List<(long JobId, long DueTicks)> _due = new(Batch);
    private long _now;

    [Params(10_000, 100_000, 1_000_000)]
    public int Jobs { get; set; }

    /// <summary>Due instants spread over 10 s, so a 20 ms window holds Jobs / 500 jobs.</summary>
    private static long DueOf(long id, int jobs) => TimeSpan.TicksPerSecond * 10 * id / jobs;

    [IterationSetup(Targets = [nameof(PopDueAndReschedule), nameof(Reschedule)])]
    public void Fill()
    {
        _queue = new DueQueue();
        for (long id = 0; id < Jobs; id++) _queue.Set(id, DueOf(id, Jobs));
        _now = 0;
    }

    [Benchmark(Description = "Insert every job (whole queue)")]
    public int InsertAll()
    {
        var q = new DueQueue();
        for (long id = 0; id < Jobs; id++) q.Set(id, DueOf(id, Jobs));
        return q.Count;
    }

    [Benchmark(Description = "Pop due in 20 ms window + push next slot (per job)", OperationsPerInvoke = Batch)]
    public int PopDueAndReschedule()
    {
        int popped = 0;
        while (popped < Batch)
        {
            _due.Clear();
            _now += TimeSpan.TicksPerMillisecond * 20;
            _queue.PopDue(_now, Batch - popped, _due);
            foreach (var (id, due) in _due) _queue.Set(id, due + TimeSpan.TicksPerSecond * 10);
            popped += _due.Count;
            if (_due.Count == 0 && _queue.PeekEarliest() is null) break;
        }
        return popped;
    }

    [Benchmark(Description = "Reschedule an existing job (per job)", OperationsPerInvoke = Batch)]
    public long? Reschedule()
    {
        for (long i = 0; i < Batch; i++) _queue.Set(i * (Jobs / Batch), DueOf(i, Jobs) + 12345);
        return _queue.PeekEarliest();
    }
}
