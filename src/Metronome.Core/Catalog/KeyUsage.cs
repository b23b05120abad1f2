using System.Collections.Concurrent;
using Metronome.Core.Storage;

namespace Metronome.Core.Catalog;

/// <summary>
/// Keeps <c>last_used_at</c> of product keys without a write per request: a key's use is written at most once per
/// <see cref="WriteEvery"/>, in the background (the request never waits for it; a failed write is retried by the next use
/// after the interval). The listed time is therefore up to a minute early.
/// </summary>
internal sealed class KeyUsage(ICatalogStore catalog, TimeProvider time)
{
    public static readonly TimeSpan WriteEvery = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _written = new(StringComparer.Ordinal);

    public void Note(string keyId)
    {
        var now = time.GetUtcNow();
        if (_written.TryGetValue(keyId, out var last) && now - last < WriteEvery) return;
        // One writer per interval: the caller that swaps the stamp writes; concurrent callers see the new stamp and return.
        if (last == default ? !_written.TryAdd(keyId, now) : !_written.TryUpdate(keyId, now, last)) return;
        _ = WriteAsync(keyId, now);
    }

    private async Task WriteAsync(string keyId, DateTimeOffset at)
    {
        try
        {
            await Task.Yield(); // off the request's path
            await catalog.MarkKeyUsedAsync(keyId, at, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // best effort: a lost stamp is written again by the key's next use after the interval
        catch (Exception)
#pragma warning restore CA1031
        {
            _written.TryRemove(new KeyValuePair<string, DateTimeOffset>(keyId, at));
        }
    }
}
