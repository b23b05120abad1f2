namespace Metronome.Core.Engine;

/// <summary>
/// Which jobs a command changed while the due loop's claim or a schedule reload was reading them, so that their older view
/// never overwrites a command's newer one, and a job cancelled during a claim still has its claimed runs held back. Not
/// thread-safe: the <see cref="DueScheduler"/> guards it with its queue lock.
/// </summary>
/// <remarks>
/// Every change gets the next sequence number; a reader opens a snapshot (the current number) and later asks whether a job
/// changed after it. A change is kept only while a snapshot older than it is open: once every open snapshot is at least as
/// new as the change, "changed since" is false for it whether it is kept or not, so it is dropped, and when the last
/// snapshot closes nothing is kept at all. The map therefore holds at most the changes made during one claim or reload
/// (it used to be a version per job ever changed, which only grew).
/// </remarks>
internal sealed class ScheduleChanges
{
    private readonly Dictionary<long, (long Seq, bool Cancelled)> _changed = [];
    private readonly List<long> _open = []; // open snapshots, oldest first (sequence numbers only grow)
    private long _seq;

    /// <summary>Changes kept (for tests: zero whenever no snapshot is open).</summary>
    public int Tracked => _changed.Count;

    /// <summary>A command changed the job; <paramref name="cancelled"/> null keeps whether its last change was a cancel.</summary>
    public void Record(long jobId, bool? cancelled)
    {
        _seq++;
        if (_open.Count == 0) return; // nobody is reading: nothing can race with this change
        var wasCancelled = _changed.TryGetValue(jobId, out var before) && before.Cancelled;
        _changed[jobId] = (_seq, cancelled ?? wasCancelled);
    }

    public long Open()
    {
        _open.Add(_seq);
        return _seq;
    }

    public bool ChangedSince(long jobId, long snapshot) => _changed.TryGetValue(jobId, out var c) && c.Seq > snapshot;

    /// <summary>True when the job's last change after <paramref name="snapshot"/> cancelled it.</summary>
    public bool CancelledSince(long jobId, long snapshot) => _changed.TryGetValue(jobId, out var c) && c.Seq > snapshot && c.Cancelled;

    public void Close(long snapshot)
    {
        _open.Remove(snapshot);
        if (_open.Count == 0)
        {
            _changed.Clear();
            return;
        }
        var oldest = _open[0];
        foreach (var (jobId, change) in _changed)
            if (change.Seq <= oldest) _changed.Remove(jobId);
    }
}
