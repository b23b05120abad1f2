namespace Metronome.Core.Telemetry;

/// <summary>
/// The names under which the engine publishes its telemetry through <see cref="System.Diagnostics"/>: one
/// <see cref="System.Diagnostics.Metrics.Meter"/> and one <see cref="System.Diagnostics.ActivitySource"/>, both named
/// <see cref="Name"/>. An embedded host collects them with OpenTelemetry's <c>.AddMeter("Metronome")</c> and
/// <c>.AddSource("Metronome")</c> (docs/telemetry.md lists the instruments).
/// </summary>
public static class MetronomeTelemetry
{
    /// <summary>The name of the engine's meter and of its activity source.</summary>
    public const string Name = "Metronome";
}
