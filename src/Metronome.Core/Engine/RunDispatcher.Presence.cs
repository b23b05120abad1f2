using Metronome.Core.Storage;

namespace Metronome.Core.Engine;

/// <summary>
/// The dispatcher's side of presence (Cluster/README.md): an attempt whose instant comes while this node's presence has lapsed
/// is parked, not started; it starts when presence is confirmed again, is handed back if the node stops meanwhile, and is
/// dropped when the node was declared dead (the leader took its run over).
/// </summary>
internal sealed partial class RunDispatcher
{
    /// <summary>Presence is back: parked attempts start now (their instant has passed).</summary>
    private void Unpark()
    {
        List<ClaimedRun> parked;
        lock (_parkedLock)
        {
            if (_parked.Count == 0) return;
            parked = [.. _parked];
            _parked.Clear();
        }
        _timer.Add(parked);
    }

    /// <summary>Stopping: attempts parked while presence had lapsed are handed back, like any attempt not started.</summary>
    private void GiveBackParked()
    {
        List<ClaimedRun> parked;
        lock (_parkedLock)
        {
            if (_parked.Count == 0) return;
            parked = [.. _parked];
            _parked.Clear();
        }
        foreach (var run in parked) NotStarted(run, outstanding: false);
    }

    /// <summary>
    /// Drops every attempt held but not started (waiting for its instant, a retry's instant, or parked): the node was
    /// declared dead and the leader took their runs over. Attempts already running finish; their outcomes are fenced by the
    /// store (a completion applies only to the same attempt on the same node). Returns how many were dropped.
    /// </summary>
    public int DropHeld()
    {
        var dropped = _timer.TakeAll();
        lock (_parkedLock)
        {
            dropped.AddRange(_parked);
            _parked.Clear();
        }
        foreach (var run in dropped)
        {
            if (_retries.TryRemove((run.Run.Id, run.Run.Attempt), out _)) Interlocked.Decrement(ref _retriesWaiting);
            Left(run.Run.JobId, outstanding: false);
        }
        return dropped.Count;
    }
}
