using Metronome.Core.Audit;
using Metronome.Core.Storage;

namespace Metronome.Storage.InMemory;

/// <summary>The audit log, the keys list and revocation, and secret deletion.</summary>
public sealed partial class InMemoryJobStore
{
    // Per product, oldest first; numbers are shared by every product, as a SQL identity column's are.
    private readonly Dictionary<string, List<AuditEntry>> _audit = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _keysLastUsed = new(StringComparer.Ordinal);
    private long _lastAuditId;

    /// <inheritdoc />
    public ValueTask RecordAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            if (!_audit.TryGetValue(record.Product, out var log)) _audit[record.Product] = log = [];
            log.Add(new AuditEntry(++_lastAuditId, record));
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ListAuditAsync(string product, int limit, long? beforeId, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<AuditEntry> page = _audit.TryGetValue(product, out var log)
                ? [.. Enumerable.Reverse(log).Where(e => beforeId is null || e.Id < beforeId).Take(limit)]
                : [];
            return Task.FromResult(page);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<KeyEntry>> ListKeysAsync(string product, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<KeyEntry> keys = [.. _keysByHash.Values.Where(k => k.Product == product)
                .OrderBy(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal)
                .Select(k => new KeyEntry(k.Id, k.CreatedAt, _keysLastUsed.TryGetValue(k.Id, out var at) ? at : null))];
            return Task.FromResult(keys);
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteKeyAsync(string product, string id, CancellationToken ct)
    {
        lock (_gate)
        {
            var key = _keysByHash.Values.FirstOrDefault(k => k.Product == product && k.Id == id);
            if (key is null) return Task.FromResult(false);
            _keysByHash.Remove(key.KeyHash);
            _keysLastUsed.Remove(id);
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task MarkKeyUsedAsync(string id, DateTimeOffset at, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_keysByHash.Values.Any(k => k.Id == id) && (!_keysLastUsed.TryGetValue(id, out var last) || last < at)) _keysLastUsed[id] = at;
            return Task.CompletedTask;
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteSecretAsync(string product, string name, CancellationToken ct)
    {
        lock (_gate)
        {
            _secretsUpdatedAt.Remove((product, name));
            return Task.FromResult(_secrets.Remove((product, name)));
        }
    }
}
