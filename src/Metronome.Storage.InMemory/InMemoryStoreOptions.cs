namespace Metronome.Storage.InMemory;

/// <summary>Options of <see cref="InMemoryJobStore"/>.</summary>
public sealed class InMemoryStoreOptions
{
    /// <summary>
    /// Finished runs kept per job (by product and job tag) before the oldest are dropped as new ones finish; running runs
    /// are never dropped. Default 1000, the engine's default retention, so memory stays bounded even if the pruner never
    /// runs. Lower it for very busy jobs: every kept run costs a few hundred bytes.
    /// </summary>
    public int FinishedRunsPerJob { get; set; } = 1000;
}
