using Metronome.Core.Storage;

namespace Metronome.Core.Engine;

/// <summary>How commands tell the running engine about changes, so it wakes at once instead of polling.</summary>
internal interface IEngineSignal
{
    /// <summary>The job's due time changed (null: nothing scheduled).</summary>
    void Reschedule(ScheduleEntry entry);

    /// <summary>The job is gone or paused: no execution of it may start from now on.</summary>
    void Cancel(long jobId);

    /// <summary>Runs an already claimed attempt (a trigger).</summary>
    void Dispatch(ClaimedRun run);

    /// <summary>An event or the product's secrets changed: cached copies must be dropped.</summary>
    void CatalogChanged(string product);

    /// <summary>Backfill runs were queued: the engine looks for them at once (other nodes find them at their next poll).</summary>
    void BackfillQueued()
    {
    }
}
