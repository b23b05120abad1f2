using System.Text;
using System.Text.Json;
using Metronome.Core.Runs;

namespace Metronome.Events;

/// <summary>
/// Keeps recorded outputs within <see cref="RunLimits.MaxOutputBytes"/> (UTF-8 bytes of JSON text).
/// </summary>
/// <remarks>
/// An output that is too large is replaced by a JSON <em>string</em>: the start of the original JSON text followed by
/// the marker <c>…[truncated: N bytes]</c>, where N is the original size. The result is still valid JSON, and what a
/// reader sees is obviously cut, never a silently different value.
/// </remarks>
internal static class OutputLimiter
{
    public const string MarkerFormat = "…[truncated: {0} bytes]";

    /// <summary>Returns <paramref name="json"/> unchanged when it fits, else a JSON string as described above.</summary>
    public static string? Limit(string? json, int maxBytes = RunLimits.MaxOutputBytes)
    {
        if (json is null) return null;
        var bytes = Encoding.UTF8.GetByteCount(json);
        return bytes <= maxBytes ? json : JsonSerializer.Serialize(TruncateText(json, bytes, maxBytes));
    }

    /// <summary>
    /// Cuts <paramref name="text"/> so that, once serialised as a JSON string, it takes at most
    /// <paramref name="maxBytes"/>; appends the marker. <paramref name="originalBytes"/> is reported in the marker.
    /// </summary>
    public static string TruncateText(string text, long originalBytes, int maxBytes)
    {
        var marker = string.Format(System.Globalization.CultureInfo.InvariantCulture, MarkerFormat, originalBytes);
        // Escaping can grow text (quotes, control characters), so shrink until the serialised form fits.
        var keep = Math.Min(text.Length, Math.Max(0, maxBytes - 64));
        while (true)
        {
            if (keep > 0 && char.IsHighSurrogate(text[keep - 1])) keep--;
            var candidate = string.Concat(text.AsSpan(0, keep), marker);
            var size = Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(candidate));
            if (size <= maxBytes || keep == 0) return candidate;
            keep = Math.Max(0, keep - Math.Max(1, (size - maxBytes) / 2 + 1));
        }
    }
}
