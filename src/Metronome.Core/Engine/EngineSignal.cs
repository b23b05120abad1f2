using Metronome.Core.Storage;

namespace Metronome.Core.Engine;

/// <summary>
/// The engine's <see cref="IEngineSignal"/>: schedule changes go to the <see cref="DueScheduler"/>, triggered attempts to the
/// <see cref="RunDispatcher"/>, catalogue changes to the caches that hold catalogue data.
/// </summary>
internal sealed class EngineSignal(DueScheduler scheduler, RunDispatcher dispatcher, EventResolver resolver, ProductConcurrencyCaps caps,
    BackfillRunner? backfill = null) : IEngineSignal
{
    public void Reschedule(ScheduleEntry entry) => scheduler.Reschedule(entry);

    public void Cancel(long jobId) => scheduler.Cancel(jobId);

    public void Dispatch(ClaimedRun run) => dispatcher.Dispatch([run]);

    public void CatalogChanged(string product)
    {
        resolver.Invalidate(product);
        caps.Invalidate();
    }

    public void BackfillQueued() => backfill?.Wake();
}
