using Metronome.Core.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Metronome.Core.Health;

/// <summary>
/// Readiness of the store: its probe (<see cref="IJobStore.CheckReadinessAsync"/>) says it takes writes and is migrated.
/// A store that does not answer is unhealthy with the kind of failure only: exception messages of drivers may name hosts,
/// users or files, and the endpoint needs no key.
/// </summary>
internal sealed class StoreReadinessCheck(IJobStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var readiness = await store.CheckReadinessAsync(cancellationToken).ConfigureAwait(false);
            return readiness.IsReady ? HealthCheckResult.Healthy(readiness.Description) : HealthCheckResult.Unhealthy(readiness.Description);
        }
        catch (StoreUnavailableException e)
        {
            // The store's own words: why it refuses writes (read-only, deleted file), with no secret in them.
            return HealthCheckResult.Unhealthy(e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"the store does not answer ({e.GetType().Name})");
        }
    }
}
