using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Metronome.Cli;

/// <summary>Friendly durations: <c>300ms</c>, <c>60s</c>, <c>5m</c>, <c>2h</c>, <c>1d</c>, combinations (<c>1m30s</c>) or plain milliseconds.</summary>
internal static partial class Durations
{
    public const string Hint = "use e.g. 300ms, 60s, 5m, 1h30m, 1d or a number of milliseconds";

    [GeneratedRegex(@"\G(\d+)(ms|s|m|h|d)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();

    /// <summary>Milliseconds, or null when <paramref name="text"/> is not a duration.</summary>
    public static long? TryParseMs(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim().ToLowerInvariant();
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var plain)) return plain;
        long total = 0;
        var at = 0;
        foreach (Match m in Part().Matches(text))
        {
            if (m.Index != at) return null;
            if (!long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return null;
            var unit = m.Groups[2].Value switch { "ms" => 1L, "s" => 1_000L, "m" => 60_000L, "h" => 3_600_000L, _ => 86_400_000L };
            try { total = checked(total + checked(n * unit)); }
            catch (OverflowException) { return null; }
            at = m.Index + m.Length;
        }
        return at == text.Length && at > 0 ? total : null;
    }

    /// <summary>60000 → <c>1m</c>, 90500 → <c>1m30s500ms</c>.</summary>
    public static string Format(long? ms)
    {
        if (ms is not { } value) return "";
        if (value == 0) return "0ms";
        var text = new StringBuilder();
        foreach (var (unit, size) in (ReadOnlySpan<(string, long)>)[("d", 86_400_000L), ("h", 3_600_000L), ("m", 60_000L), ("s", 1_000L), ("ms", 1L)])
        {
            if (value < size) continue;
            text.Append(CultureInfo.InvariantCulture, $"{value / size}{unit}");
            value %= size;
        }
        return text.ToString();
    }
}
