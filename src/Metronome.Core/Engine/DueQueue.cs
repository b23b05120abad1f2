namespace Metronome.Core.Engine;

/// <summary>
/// The next due instant of every active job, in memory: a binary heap with lazy deletion. Rescheduling a job pushes
/// a new entry and records the current due time; stale heap entries are dropped when they surface. Not thread-safe:
/// the engine guards it with one lock.
/// </summary>
internal sealed class DueQueue
{
    private readonly PriorityQueue<long, long> _heap = new();
    private readonly Dictionary<long, long> _due = new();

    public int Count => _due.Count;

    /// <summary>Sets (or, with null, removes) the due instant of a job, in UTC ticks.</summary>
    public void Set(long jobId, long? dueTicks)
    {
        if (dueTicks is not { } ticks)
        {
            _due.Remove(jobId);
            return;
        }
        if (_due.TryGetValue(jobId, out var current) && current == ticks) return;
        _due[jobId] = ticks;
        _heap.Enqueue(jobId, ticks);
        if (_heap.Count > 2 * _due.Count + 1024) Compact();
    }

    /// <summary>Every job in the queue (a snapshot is taken by the caller under its lock).</summary>
    public IEnumerable<long> JobIds => _due.Keys;

    public bool TryGetDue(long jobId, out long dueTicks) => _due.TryGetValue(jobId, out dueTicks);

    /// <summary>The earliest due instant, or null when nothing is scheduled.</summary>
    public long? PeekEarliest()
    {
        while (_heap.TryPeek(out var id, out var ticks))
        {
            if (_due.TryGetValue(id, out var current) && current == ticks) return ticks;
            _heap.Dequeue();
        }
        return null;
    }

    /// <summary>Removes up to <paramref name="max"/> jobs due at or before <paramref name="untilTicks"/> and adds them (with their due ticks) to <paramref name="into"/>.</summary>
    public void PopDue(long untilTicks, int max, List<(long JobId, long DueTicks)> into)
    {
        while (into.Count < max && _heap.TryPeek(out var id, out var ticks) && ticks <= untilTicks)
        {
            _heap.Dequeue();
            if (_due.TryGetValue(id, out var current) && current == ticks)
            {
                _due.Remove(id);
                into.Add((id, ticks));
            }
        }
    }

    private void Compact()
    {
        _heap.Clear();
        foreach (var (id, ticks) in _due) _heap.Enqueue(id, ticks);
    }
}
