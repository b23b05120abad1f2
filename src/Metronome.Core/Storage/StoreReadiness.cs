namespace Metronome.Core.Storage;

/// <summary>What a store's readiness probe (<see cref="IJobStore.CheckReadinessAsync"/>) found.</summary>
/// <param name="IsReady">True when the store takes writes and its schema is migrated.</param>
/// <param name="Description">One short line for the health endpoint: no connection string, no secret.</param>
public sealed record StoreReadiness(bool IsReady, string Description)
{
    /// <summary>The readiness of a store whose schema is at <paramref name="applied"/> when this build knows <paramref name="known"/>.</summary>
    public static StoreReadiness FromSchema(int applied, int known) => applied >= known
        ? new(true, $"writable; schema version {applied}")
        : new(false, applied == 0 ? "the schema is not created yet (not migrated)" : $"schema version {applied}, this build needs {known} (not migrated)");
}
