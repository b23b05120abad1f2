using System.Collections.Concurrent;
using System.Text.Json;

namespace Metronome.Core.Engine;

/// <summary>
/// Parsed job inputs by their JSON text: a job's input only changes on update, so parsing it for every attempt is waste.
/// The elements are detached from any pooled buffer (<see cref="JsonElement.Clone"/>) and read-only, so concurrent
/// attempts share them. Bounded: past <see cref="MaxEntries"/> distinct inputs the cache starts over.
/// </summary>
internal sealed class InputCache
{
    internal const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, JsonElement> _parsed = new(StringComparer.Ordinal);

    /// <summary>The parsed input; throws <see cref="JsonException"/> as parsing does.</summary>
    public JsonElement Get(string json)
    {
        if (_parsed.TryGetValue(json, out var cached)) return cached;
        JsonElement element;
        using (var document = JsonDocument.Parse(json)) element = document.RootElement.Clone();
        if (_parsed.Count >= MaxEntries) _parsed.Clear();
        _parsed.TryAdd(json, element);
        return element;
    }
}
