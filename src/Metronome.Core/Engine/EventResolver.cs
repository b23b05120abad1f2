using System.Collections.Concurrent;
using Metronome.Core.Events;
using Metronome.Core.Execution;
using Metronome.Core.Storage;

namespace Metronome.Core.Engine;

/// <summary>
/// Caches events and decrypted secrets per product so that a fire does not read the catalogue on every attempt. A
/// catalogue change drops the product's entries (<see cref="Invalidate"/>: made by this process, or announced by another
/// node of a cluster); every entry also expires after <c>timeToLive</c>, which bounds how stale a node stays when an
/// announcement is lost.
/// </summary>
internal sealed class EventResolver(ICatalogStore catalog, ISecretProtector? protector, TimeProvider time, TimeSpan timeToLive)
{
    private readonly ConcurrentDictionary<(string Product, string Type, string Tag), (EventRecord? Event, DateTimeOffset Expires)> _events = new();
    private readonly ConcurrentDictionary<string, (IReadOnlyDictionary<string, string> Secrets, DateTimeOffset Expires)> _secrets = new(StringComparer.Ordinal);

    // Bumped by every invalidation, before entries are dropped: a read that started earlier must not re-cache what it saw.
    private long _generation;

    /// <summary>How long an entry is used without reading the store again.</summary>
    public TimeSpan TimeToLive => timeToLive;

    public async ValueTask<EventRecord?> GetEventAsync(string product, string type, string tag, CancellationToken ct)
    {
        var key = (product, type, tag);
        var now = time.GetUtcNow();
        if (_events.TryGetValue(key, out var cached) && cached.Expires > now) return cached.Event;
        var generation = Volatile.Read(ref _generation);
        var ev = await catalog.GetEventAsync(product, type, tag, ct);
        Remember(_events, key, (ev, now + timeToLive), generation);
        return ev;
    }

    public async ValueTask<IReadOnlyDictionary<string, string>> GetSecretsAsync(string product, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_secrets.TryGetValue(product, out var cached) && cached.Expires > now) return cached.Secrets;
        var generation = Volatile.Read(ref _generation);
        var stored = await catalog.GetSecretsAsync(product, ct);
        IReadOnlyDictionary<string, string> plain = protector is null || stored.Count == 0
            ? new Dictionary<string, string>()
            : stored.ToDictionary(kv => kv.Key, kv => protector.Unprotect(kv.Value));
        Remember(_secrets, product, (plain, now + timeToLive), generation);
        return plain;
    }

    /// <summary>Drops the events and secrets of <paramref name="product"/>.</summary>
    public void Invalidate(string product)
    {
        Interlocked.Increment(ref _generation);
        _secrets.TryRemove(product, out _);
        foreach (var key in _events.Keys)
            if (key.Product == product) _events.TryRemove(key, out _);
    }

    /// <summary>Drops everything (changes may have been missed, e.g. while change notifications were down).</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _secrets.Clear();
        _events.Clear();
    }

    private void Remember<TKey, TValue>(ConcurrentDictionary<TKey, TValue> map, TKey key, TValue value, long generation) where TKey : notnull
    {
        map[key] = value;
        // An invalidation ran while the store was read: what was read may already be stale, so do not keep it.
        if (Volatile.Read(ref _generation) != generation) map.TryRemove(key, out _);
    }
}
