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

    /// <summary>
    /// The custom property (<see cref="System.Diagnostics.Activity.GetCustomProperty"/>; never exported) of an attempt's
    /// activity that holds a <c>Func&lt;string?, string?&gt;</c> masking the product's secrets (and credentials in URLs and
    /// connection strings) in a text. Instrumentation of an executor's outgoing calls (the server's HttpClient spans) applies it
    /// to the attributes it records, such as a URL, so that no span carries a secret value.
    /// </summary>
    public const string RedactProperty = "metronome.redact";
}
