using System.Collections.Concurrent;
using Metronome.Core.Storage;

namespace Metronome.Core.Catalog;

/// <summary>
/// What the hot API paths ask the catalogue on every request: does this product exist, does this event exist, whose key
/// is this. Only positive answers are cached, so a product, event or key created anywhere is seen at once. They are
/// dropped when the product changes (<see cref="Invalidate"/>, called by <see cref="CatalogService"/> for its own changes
/// and by the cluster's change listener for changes announced by other nodes) and expire after <see cref="TimeToLive"/>,
/// which bounds how long a deletion goes unseen when an announcement is lost.
/// </summary>
internal sealed class CatalogCache(ICatalogStore catalog, TimeProvider time, TimeSpan timeToLive)
{
    /// <summary>How long a positive answer is trusted without asking the store again.</summary>
    public TimeSpan TimeToLive => timeToLive;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _products = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Product, string Type, string Tag), DateTimeOffset> _events = new();
    private readonly ConcurrentDictionary<string, (string Product, string Id, DateTimeOffset Expires)> _keys = new(StringComparer.Ordinal);

    // Bumped by every invalidation, before entries are dropped: a read that started earlier must not re-cache what it saw.
    private long _generation;

    public async ValueTask<bool> ProductExistsAsync(string product, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_products.TryGetValue(product, out var expires) && expires > now) return true;
        var generation = Volatile.Read(ref _generation);
        if (await catalog.GetProductAsync(product, ct).ConfigureAwait(false) is null) return false;
        Remember(_products, product, now + TimeToLive, generation);
        return true;
    }

    public async ValueTask<bool> EventExistsAsync(string product, string type, string tag, CancellationToken ct)
    {
        var key = (product, type, tag);
        var now = time.GetUtcNow();
        if (_events.TryGetValue(key, out var expires) && expires > now) return true;
        var generation = Volatile.Read(ref _generation);
        if (await catalog.GetEventAsync(product, type, tag, ct).ConfigureAwait(false) is null) return false;
        Remember(_events, key, now + TimeToLive, generation);
        return true;
    }

    /// <summary>The product of the key with this hash, or null when no such key exists.</summary>
    public async ValueTask<string?> ProductOfKeyAsync(string keyHash, CancellationToken ct) =>
        (await KeyAsync(keyHash, ct).ConfigureAwait(false))?.Product;

    /// <summary>The product and id of the key with this hash, or null when no such key exists.</summary>
    public async ValueTask<(string Product, string Id)?> KeyAsync(string keyHash, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_keys.TryGetValue(keyHash, out var cached) && cached.Expires > now) return (cached.Product, cached.Id);
        var generation = Volatile.Read(ref _generation);
        if (await catalog.FindKeyByHashAsync(keyHash, ct).ConfigureAwait(false) is not { } record) return null;
        Remember(_keys, keyHash, (record.Product, record.Id, now + TimeToLive), generation);
        return (record.Product, record.Id);
    }

    /// <summary>Drops every cached answer about <paramref name="product"/> (its existence, its events, its keys).</summary>
    public void Invalidate(string product)
    {
        Interlocked.Increment(ref _generation);
        _products.TryRemove(product, out _);
        foreach (var key in _events.Keys)
            if (key.Product == product) _events.TryRemove(key, out _);
        foreach (var (hash, entry) in _keys)
            if (entry.Product == product) _keys.TryRemove(hash, out _);
    }

    /// <summary>Drops every cached answer (changes may have been missed, e.g. while change notifications were down).</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _products.Clear();
        _events.Clear();
        _keys.Clear();
    }

    private void Remember<TKey, TValue>(ConcurrentDictionary<TKey, TValue> map, TKey key, TValue value, long generation) where TKey : notnull
    {
        map[key] = value;
        // An invalidation ran while the store was read: what was read may already be gone, so do not keep it.
        if (Volatile.Read(ref _generation) != generation) map.TryRemove(key, out _);
    }
}
