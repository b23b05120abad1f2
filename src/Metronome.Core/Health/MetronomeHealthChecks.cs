using Metronome.Core.Engine;
using Metronome.Core.Engine.Cluster;
using Metronome.Core.Health;
using Metronome.Core.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

// The extension lives where AddHealthChecks() is, so that `services.AddHealthChecks().AddMetronome()` needs no using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Metronome's health checks for any host: <c>services.AddHealthChecks().AddMetronome()</c>, then map liveness to the
/// checks tagged <see cref="LiveTag"/> and readiness to those tagged <see cref="ReadyTag"/>, e.g.
/// <c>app.MapHealthChecks("/livez", new() { Predicate = c =&gt; c.Tags.Contains(MetronomeHealthChecks.LiveTag) })</c>.
/// </summary>
public static class MetronomeHealthChecks
{
    /// <summary>The tag of the liveness check (the engine loop beats).</summary>
    public const string LiveTag = "live";

    /// <summary>The tag of the readiness checks (the store takes writes and is migrated; in a cluster, the node joined).</summary>
    public const string ReadyTag = "ready";

    /// <summary>How long a readiness probe of the store may take before it counts as failed.</summary>
    public static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Adds <c>metronome_engine</c> (tag <see cref="LiveTag"/>), <c>metronome_store</c> and <c>metronome_cluster</c>
    /// (tag <see cref="ReadyTag"/>). Needs the engine (<c>AddMetronome</c>) and a store registered in the same services.
    /// </summary>
    public static IHealthChecksBuilder AddMetronome(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(new HealthCheckRegistration("metronome_engine",
            sp => new EngineLivenessCheck(sp.GetRequiredService<EngineHeartbeat>()), HealthStatus.Unhealthy, [LiveTag]));
        builder.Add(new HealthCheckRegistration("metronome_store",
            sp => new StoreReadinessCheck(sp.GetRequiredService<IJobStore>()), HealthStatus.Unhealthy, [ReadyTag], StoreTimeout));
        builder.Add(new HealthCheckRegistration("metronome_cluster",
            sp => new ClusterReadinessCheck(sp.GetRequiredService<NodePresence>(), sp.GetService<IClusterStore>()), HealthStatus.Unhealthy, [ReadyTag]));
        return builder;
    }
}
