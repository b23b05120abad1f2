using Metronome.Core.Catalog;
using Metronome.Core.Engine;
using Metronome.Core.Events;
using Metronome.Core.Execution;
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Core.Tests.Engine;

/// <summary>
/// The engine's cache of events and decrypted secrets. A change made elsewhere that this process is never told of (a cluster
/// node whose change notifications are down) is used once the cached entry's time to live has passed, and no later.
/// </summary>
public sealed class EventResolverTests : IAsyncLifetime
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private SqliteJobStore _store = null!;
    private EventResolver _resolver = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteJobStore(new SqliteStoreOptions { DatabasePath = Path.Combine(Path.GetTempPath(), $"metronome-resolver-{Guid.NewGuid():N}.db") }, _time);
        await _store.MigrateAsync(CancellationToken.None);
        var now = _time.GetUtcNow();
        await _store.CreateProductAsync(new ProductRecord { Tag = "shop", Name = "Shop", CreatedAt = now, UpdatedAt = now }, CancellationToken.None);
        await _store.CreateEventAsync(Event("""{"url":"http://a1/"}"""), CancellationToken.None);
        await _store.PutSecretAsync("shop", "TOKEN", "enc:v1", CancellationToken.None);
        _resolver = new EventResolver(_store, new PrefixProtector(), _time, Ttl);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private EventRecord Event(string definition) => new()
    {
        Product = "shop", Type = "action", Tag = "hook", Name = "Hook", DefinitionJson = definition, CreatedAt = _time.GetUtcNow(), UpdatedAt = _time.GetUtcNow(),
    };

    private async Task<(string? Definition, string Token)> ResolveAsync() =>
        ((await _resolver.GetEventAsync("shop", "action", "hook", CancellationToken.None))?.DefinitionJson,
         (await _resolver.GetSecretsAsync("shop", CancellationToken.None))["TOKEN"]);

    [Fact]
    public async Task A_change_nobody_announced_is_used_once_the_time_to_live_has_passed()
    {
        Assert.Equal(("""{"url":"http://a1/"}""", "v1"), await ResolveAsync());
        await _store.UpdateEventAsync(Event("""{"url":"http://a2/"}"""), CancellationToken.None);
        await _store.PutSecretAsync("shop", "TOKEN", "enc:v2", CancellationToken.None);

        _time.Advance(Ttl - TimeSpan.FromMilliseconds(1));
        Assert.Equal(("""{"url":"http://a1/"}""", "v1"), await ResolveAsync()); // still cached: the store is not read on every fire

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(("""{"url":"http://a2/"}""", "v2"), await ResolveAsync());
    }

    [Fact]
    public async Task An_announced_change_is_used_at_once()
    {
        Assert.Equal(("""{"url":"http://a1/"}""", "v1"), await ResolveAsync());
        await _store.UpdateEventAsync(Event("""{"url":"http://a2/"}"""), CancellationToken.None);
        await _store.PutSecretAsync("shop", "TOKEN", "enc:v2", CancellationToken.None);

        _resolver.Invalidate("shop");

        Assert.Equal(("""{"url":"http://a2/"}""", "v2"), await ResolveAsync());
    }

    [Fact]
    public async Task Clearing_after_a_lost_connection_drops_every_product()
    {
        Assert.Equal(("""{"url":"http://a1/"}""", "v1"), await ResolveAsync());
        await _store.UpdateEventAsync(Event("""{"url":"http://a2/"}"""), CancellationToken.None);

        _resolver.Clear();

        Assert.Equal(("""{"url":"http://a2/"}""", "v1"), await ResolveAsync());
    }

    private sealed class PrefixProtector : ISecretProtector
    {
        public string Protect(string plaintext) => "enc:" + plaintext;
        public string Unprotect(string protectedValue) => protectedValue["enc:".Length..];
    }
}
