using System.Collections.Concurrent;
using Cronos;

namespace Metronome.Core.Scheduling;

/// <summary>
/// Cron expressions and IANA zones, parsed once and cached (pure maths: Cronos computes the occurrences, with daylight-saving
/// transitions handled as Vixie cron does). Five fields, six with seconds first, or a macro (<c>@daily</c>, <c>@hourly</c>…).
/// </summary>
internal static class CronSchedule
{
    private const int MaxCached = 10_000;
    private static readonly ConcurrentDictionary<string, CronExpression> Expressions = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, TimeZoneInfo> Zones = new(StringComparer.Ordinal);

    /// <summary>The expression, or null with <paramref name="error"/> saying what is wrong.</summary>
    public static CronExpression? TryParse(string? text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text)) { error = "cron must not be empty."; return null; }
        if (Expressions.TryGetValue(text, out var cached)) return cached;
        var trimmed = text.Trim();
        int fields = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        CronFormat? format = trimmed.StartsWith('@') && fields == 1 ? CronFormat.Standard : fields switch
        {
            5 => CronFormat.Standard,
            6 => CronFormat.IncludeSeconds,
            _ => null,
        };
        if (format is null)
        {
            error = "cron must have 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or be a macro such as @daily.";
            return null;
        }
        if (!CronExpression.TryParse(trimmed, format.Value, out var cron) || cron is null)
        {
            error = $"cron \"{trimmed}\" is not a valid cron expression (fields, ranges, steps, L, W and # as in Cronos).";
            return null;
        }
        if (Expressions.Count >= MaxCached) Expressions.Clear();
        Expressions[text] = cron;
        return cron;
    }

    /// <summary>The expression of a stored (validated) job.</summary>
    public static CronExpression Parse(string text) =>
        TryParse(text, out var error) ?? throw new FormatException(error);

    /// <summary>The zone of that IANA id, or null when the system does not know it.</summary>
    public static TimeZoneInfo? TryZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return null;
        if (Zones.TryGetValue(id, out var zone)) return zone;
        try { zone = TimeZoneInfo.FindSystemTimeZoneById(id); }
        catch (TimeZoneNotFoundException) { return null; }
        catch (InvalidTimeZoneException) { return null; }
        if (Zones.Count >= MaxCached) Zones.Clear();
        Zones[id] = zone;
        return zone;
    }

    /// <summary>The zone of a stored (validated) job.</summary>
    public static TimeZoneInfo Zone(string id) => TryZone(id) ?? throw new TimeZoneNotFoundException($"unknown time zone {id}");
}
