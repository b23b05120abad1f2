using Metronome.Core.Catalog;
using Metronome.Core.Events;

namespace Metronome.Core.Storage;

/// <summary>Products, their keys, secrets and events: the slow-changing catalogue around the jobs.</summary>
public interface ICatalogStore
{
    /// <summary>Throws <see cref="ConflictException"/> when the tag is taken.</summary>
    Task<ProductRecord> CreateProductAsync(ProductRecord product, CancellationToken ct);
    Task<IReadOnlyList<ProductRecord>> ListProductsAsync(CancellationToken ct);
    Task<ProductRecord?> GetProductAsync(string tag, CancellationToken ct);
    /// <summary>Returns false when the product does not exist.</summary>
    Task<bool> UpdateProductAsync(ProductRecord product, CancellationToken ct);
    /// <summary>Deletes the product with its keys, secrets, events, jobs and runs, in one transaction (a product re-created with the same tag starts empty). Returns the ids of the deleted jobs, or null when there was no product.</summary>
    Task<IReadOnlyList<long>?> DeleteProductAsync(string tag, CancellationToken ct);

    Task AddKeyAsync(ProductKeyRecord key, CancellationToken ct);
    Task<ProductKeyRecord?> FindKeyByHashAsync(string keyHash, CancellationToken ct);
    /// <summary>The product's keys (ids and dates, never the key or its hash), oldest first.</summary>
    Task<IReadOnlyList<KeyEntry>> ListKeysAsync(string product, CancellationToken ct);
    /// <summary>Deletes a key; every node stops accepting it (the change is announced like any catalogue change). False when there was no such key.</summary>
    Task<bool> DeleteKeyAsync(string product, string id, CancellationToken ct);
    /// <summary>Records when a key was last used (callers write at most once a minute per key); a deleted key is ignored.</summary>
    Task MarkKeyUsedAsync(string id, DateTimeOffset at, CancellationToken ct);

    /// <summary>Stores (or replaces) a secret; the value is already encrypted by the caller.</summary>
    Task PutSecretAsync(string product, string name, string protectedValue, CancellationToken ct);
    /// <summary>Every secret of the product, encrypted, by name.</summary>
    Task<IReadOnlyDictionary<string, string>> GetSecretsAsync(string product, CancellationToken ct);
    /// <summary>The names of the product's secrets with when each was last set (never the values), by name.</summary>
    Task<IReadOnlyList<SecretEntry>> ListSecretsAsync(string product, CancellationToken ct);
    /// <summary>Deletes a secret. False when there was no such secret.</summary>
    Task<bool> DeleteSecretAsync(string product, string name, CancellationToken ct);

    /// <summary>Throws <see cref="ConflictException"/> when (product, type, tag) is taken.</summary>
    Task<EventRecord> CreateEventAsync(EventRecord ev, CancellationToken ct);
    Task<EventRecord?> GetEventAsync(string product, string type, string tag, CancellationToken ct);
    Task<IReadOnlyList<EventRecord>> ListEventsAsync(string product, string? type, CancellationToken ct);
    /// <summary>Returns false when the event does not exist.</summary>
    Task<bool> UpdateEventAsync(EventRecord ev, CancellationToken ct);
    /// <summary>
    /// Deletes an event. When jobs use it: throws <see cref="ConflictException"/>, or with <paramref name="force"/>
    /// pauses those jobs and returns their ids. Returns null when the event does not exist.
    /// </summary>
    Task<IReadOnlyList<long>?> DeleteEventAsync(string product, string type, string tag, bool force, DateTimeOffset now, CancellationToken ct);
}

/// <summary>A key as listed: its id, when it was created and when it was last used (null: not since it was created).</summary>
public sealed record KeyEntry(string Id, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>A secret as listed: its name and when it was last set (null for one set before stores recorded it).</summary>
public sealed record SecretEntry(string Name, DateTimeOffset? UpdatedAt);

/// <summary>
/// Implemented by a store that can tell cheaply whether it can still keep what it is given (a SQLite file deleted or
/// made read-only under the running process); health checks ask it.
/// </summary>
public interface IStoreWritability
{
    /// <summary>Throws <see cref="StoreUnavailableException"/> when writes would be refused.</summary>
    Task CheckWritableAsync(CancellationToken ct);
}
