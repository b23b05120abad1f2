using System.Globalization;
using Metronome.Core.Hosting;

namespace Metronome.Server.Hosting;

/// <summary>
/// Applies the configuration section <c>Metronome</c> (e.g. <c>Metronome__MinIntervalMs</c>) and then the short
/// environment variables (<c>METRONOME_MIN_INTERVAL_MS</c>, ...) to the engine options.
/// </summary>
internal static class EngineSettings
{
    public static void Apply(IConfiguration config, MetronomeOptions o)
    {
        config.GetSection("Metronome").Bind(o);
        if (config["METRONOME_NODE"] is { Length: > 0 } node) o.NodeName = node;
        if (Long(config, "METRONOME_MIN_INTERVAL_MS") is { } min) o.MinIntervalMs = min;
        if (Long(config, "METRONOME_DEFAULT_TIMEOUT_MS") is { } timeout) o.DefaultTimeoutMs = checked((int)timeout);
        if (Long(config, "METRONOME_MISFIRE_THRESHOLD_MS") is { } misfire) o.MisfireThreshold = TimeSpan.FromMilliseconds(misfire);
        if (Long(config, "METRONOME_MAX_CONCURRENCY") is { } concurrency) o.MaxConcurrency = checked((int)concurrency);
        if (Long(config, "METRONOME_PRODUCT_MAX_CONCURRENCY") is { } productConcurrency) o.ProductMaxConcurrency = checked((int)productConcurrency);
        if (Long(config, "METRONOME_RETENTION_RUNS") is { } runs) o.RetentionRunsPerJob = checked((int)runs);
        if (Long(config, "METRONOME_RETENTION_DAYS") is { } days) o.RetentionAge = TimeSpan.FromDays(days);
    }

    /// <summary>Checks the engine settings at start so a typo stops the process with a message naming the variable.</summary>
    public static void Check(IConfiguration config)
    {
        foreach (var name in (string[])["METRONOME_MIN_INTERVAL_MS", "METRONOME_DEFAULT_TIMEOUT_MS", "METRONOME_MISFIRE_THRESHOLD_MS",
                     "METRONOME_MAX_CONCURRENCY", "METRONOME_PRODUCT_MAX_CONCURRENCY", "METRONOME_RETENTION_RUNS", "METRONOME_RETENTION_DAYS"])
            Long(config, name);
        var options = new MetronomeOptions();
        try
        {
            Apply(config, options);
            options.Validate();
        }
        catch (Exception e) when (e is InvalidOperationException or OverflowException or FormatException)
        {
            throw new ServerConfigurationException(e.Message);
        }
    }

    private static long? Long(IConfiguration config, string name)
    {
        if (config[name] is not { Length: > 0 } text) return null;
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0 && value <= int.MaxValue * 16L)
            return value;
        throw new ServerConfigurationException($"{name} must be a non-negative integer, not '{text}'.");
    }
}
