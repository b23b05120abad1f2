using System.Text;
using System.Text.Json;
using Metronome.Core.Runs;

namespace Metronome.Events;

/// <summary>
/// Keeps recorded outputs within <see cref="RunLimits.MaxOutputBytes"/> (UTF-8 bytes of JSON text).
/// </summary>
/// <remarks>
/// An output that is too large is replaced by a JSON <em>string</em>: the start of the original JSON text followed by
/// the marker <c>…[truncated: N bytes]</c>, where N is the original size (<c>…[truncated: over N bytes]</c> when only a
/// lower bound is known, as for a streamed HTTP body). The result is still valid JSON, and what a
/// reader sees is obviously cut, never a silently different value.
/// </remarks>
internal static class OutputLimiter
{
    /// <summary>Returns <paramref name="json"/> unchanged when it fits, else a JSON string as described above.</summary>
    public static string? Limit(string? json, int maxBytes = RunLimits.MaxOutputBytes)
    {
        if (json is null) return null;
        var bytes = Encoding.UTF8.GetByteCount(json);
        return bytes <= maxBytes ? json : JsonSerializer.Serialize(TruncateText(json, bytes, maxBytes));
    }

    /// <summary>
    /// Cuts <paramref name="text"/> so that, once serialised as a JSON string, it takes at most
    /// <paramref name="maxBytes"/>; appends the marker with the original size (exact, or a lower bound).
    /// </summary>
    public static string TruncateText(string text, long originalBytes, int maxBytes, bool sizeIsLowerBound = false)
    {
        var marker = DefinitionReader.Invariant($"…[truncated: {(sizeIsLowerBound ? "over " : "")}{originalBytes} bytes]");
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
