using System.Globalization;

namespace Metronome.Load;

/// <summary>
/// Sizes of a scenario, from <c>--key=value</c> arguments with per-scenario defaults, so that the smoke tests run the same
/// code at tiny sizes. Every system of a scenario gets the same values.
/// </summary>
internal sealed class Workload(IReadOnlyDictionary<string, string> args)
{
    public int Int(string key, int fallback) => args.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    public double Double(string key, double fallback) => args.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
    public string String(string key, string fallback) => args.TryGetValue(key, out var v) ? v : fallback;
    public bool Has(string key) => args.ContainsKey(key);

    public TimeSpan Warmup => TimeSpan.FromSeconds(Double("warmup", 3));
    public TimeSpan Duration => TimeSpan.FromSeconds(Double("seconds", 8));

    /// <summary>Systems to run (comma list of metronome, quartz, hangfire); all by default.</summary>
    public bool Runs(string system) => !args.TryGetValue("systems", out var list) || list.Split(',').Contains(system, StringComparer.OrdinalIgnoreCase);

    public static Workload Parse(IEnumerable<string> args) => new(args
        .Where(a => a.StartsWith("--", StringComparison.Ordinal))
        .Select(a => a[2..].Split('=', 2) is [var k, var v] ? [k, v] : new[] { a[2..], "true" })
        .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase));
}
