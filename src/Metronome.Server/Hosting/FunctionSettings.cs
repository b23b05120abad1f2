using System.Globalization;
using Metronome.Events.Function;

namespace Metronome.Server.Hosting;

/// <summary>
/// Applies the configuration section <c>Metronome:Functions</c> and then the short environment variables
/// (<c>METRONOME_FUNCTION_WORKERS</c>, ...) to the pool of JavaScript function workers (docs/security/functions.md).
/// </summary>
internal static class FunctionSettings
{
    private static readonly string[] Names =
    [
        "METRONOME_FUNCTION_WORKERS", "METRONOME_FUNCTION_QUEUE_PER_PRODUCT", "METRONOME_FUNCTION_WORKER_HEAP_MB",
        "METRONOME_FUNCTION_WORKER_MAX_ATTEMPTS", "METRONOME_FUNCTION_WORKER_RECYCLE_MB",
    ];

    public static void Apply(IConfiguration config, FunctionPoolOptions o)
    {
        config.GetSection("Metronome:Functions").Bind(o);
        if (Int(config, Names[0]) is { } workers) o.Workers = workers;
        if (Int(config, Names[1]) is { } queue) o.QueuePerProduct = queue;
        if (Int(config, Names[2]) is { } heap) o.WorkerHeapLimitMb = heap;
        if (Int(config, Names[3]) is { } attempts) o.MaxAttemptsPerWorker = attempts;
        if (Int(config, Names[4]) is { } recycle) o.WorkerRecycleHeapMb = recycle;
    }

    /// <summary>Checks the settings at start so a typo stops the process with a message naming the variable.</summary>
    public static void Check(IConfiguration config)
    {
        var options = new FunctionPoolOptions();
        try
        {
            Apply(config, options);
            options.Validate();
        }
        catch (InvalidOperationException e)
        {
            throw new ServerConfigurationException(e.Message);
        }
    }

    private static int? Int(IConfiguration config, string name)
    {
        if (config[name] is not { Length: > 0 } text) return null;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0) return value;
        throw new ServerConfigurationException($"{name} must be a non-negative integer, not '{text}'.");
    }
}
