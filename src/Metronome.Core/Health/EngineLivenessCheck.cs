using Metronome.Core.Engine;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Metronome.Core.Health;

/// <summary>
/// Liveness: the engine's due loop beats (<see cref="EngineHeartbeat"/>). Unhealthy when the loop ended or has not beaten
/// for <see cref="EngineHeartbeat.MissedBeatsAllowed"/> periods: the process runs but schedules nothing, and a restart is
/// the cure. Healthy before the engine started (a store migration may take a while; readiness keeps traffic away meanwhile).
/// </summary>
internal sealed class EngineLivenessCheck(EngineHeartbeat heartbeat) : IHealthCheck
{
    public static readonly TimeSpan AllowedSilence = EngineHeartbeat.Period * EngineHeartbeat.MissedBeatsAllowed;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (heartbeat.Stopped) return Task.FromResult(HealthCheckResult.Unhealthy("the engine loop has ended"));
        if (heartbeat.Silence is not { } silence) return Task.FromResult(HealthCheckResult.Healthy("the engine is starting"));
        return Task.FromResult(silence <= AllowedSilence
            ? HealthCheckResult.Healthy($"the engine loop beat {Seconds(silence)} s ago")
            : HealthCheckResult.Unhealthy($"the engine loop has not beaten for {Seconds(silence)} s (allowed: {Seconds(AllowedSilence)} s)"));
    }

    private static string Seconds(TimeSpan t) => Math.Max(0, t.TotalSeconds).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
}
