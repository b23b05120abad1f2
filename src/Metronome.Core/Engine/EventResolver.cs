using System.Collections.Concurrent;
using Metronome.Core.Events;
using Metronome.Core.Execution;
using Metronome.Core.Storage;

namespace Metronome.Core.Engine;

/// <summary>
/// Caches events and decrypted secrets per product so that a fire does not read the catalogue; a catalogue change
/// drops the product's entries (<see cref="Invalidate"/>).
/// </summary>
internal sealed class EventResolver(ICatalogStore catalog, ISecretProtector? protector)
{
    private readonly ConcurrentDictionary<(string Product, string Type, string Tag), EventRecord?> _events = new();
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _secrets = new();

    public async ValueTask<EventRecord?> GetEventAsync(string product, string type, string tag, CancellationToken ct)
    {
        var key = (product, type, tag);
        if (_events.TryGetValue(key, out var cached)) return cached;
        var ev = await catalog.GetEventAsync(product, type, tag, ct);
        _events[key] = ev;
        return ev;
    }

    public async ValueTask<IReadOnlyDictionary<string, string>> GetSecretsAsync(string product, CancellationToken ct)
    {
        if (_secrets.TryGetValue(product, out var cached)) return cached;
        var stored = await catalog.GetSecretsAsync(product, ct);
        IReadOnlyDictionary<string, string> plain = protector is null || stored.Count == 0
            ? new Dictionary<string, string>()
            : stored.ToDictionary(kv => kv.Key, kv => protector.Unprotect(kv.Value));
        _secrets[product] = plain;
        return plain;
    }

    public void Invalidate(string product)
    {
        _secrets.TryRemove(product, out _);
        foreach (var key in _events.Keys)
            if (key.Product == product) _events.TryRemove(key, out _);
    }
}
