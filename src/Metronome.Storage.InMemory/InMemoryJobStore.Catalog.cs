using Metronome.Core;
using Metronome.Core.Catalog;
using Metronome.Core.Events;
using Metronome.Core.Storage;
using Metronome.Core.Jobs;

namespace Metronome.Storage.InMemory;

public sealed partial class InMemoryJobStore
{
    private const int JobTagsNamedInConflict = 10;

    /// <inheritdoc />
    public Task<ProductRecord> CreateProductAsync(ProductRecord product, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(product);
        lock (_gate)
        {
            if (!_products.TryAdd(product.Tag, product)) throw new ConflictException($"product '{product.Tag}' already exists");
            return Task.FromResult(product);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ProductRecord>> ListProductsAsync(CancellationToken ct)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<ProductRecord>>(_products.Values.ToList());
    }

    /// <inheritdoc />
    public Task<ProductRecord?> GetProductAsync(string tag, CancellationToken ct)
    {
        lock (_gate) return Task.FromResult(_products.GetValueOrDefault(tag));
    }

    /// <inheritdoc />
    public Task<bool> UpdateProductAsync(ProductRecord product, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(product);
        lock (_gate)
        {
            if (!_products.TryGetValue(product.Tag, out var current)) return Task.FromResult(false);
            _products[product.Tag] = current with { Name = product.Name, Description = product.Description, MaxConcurrency = product.MaxConcurrency, UpdatedAt = product.UpdatedAt };
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<long>?> DeleteProductAsync(string tag, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_products.Remove(tag)) return Task.FromResult<IReadOnlyList<long>?>(null);
            var jobIds = _jobIds.Where(kv => kv.Key.Product == tag).Select(kv => kv.Value).Order().ToList();
            foreach (var id in jobIds)
            {
                _jobIds.Remove((tag, _jobs[id].Tag));
                _jobs.Remove(id);
            }
            // Runs go with their product: a product re-created with the same tag starts with no history.
            foreach (var (key, history) in _histories.Where(kv => kv.Key.Product == tag).ToList())
            {
                foreach (var row in history.Rows) _runs.Remove(row.Run.Id);
                _histories.Remove(key);
            }
            foreach (var (jobId, _) in _historyByJob.Where(kv => kv.Value.Product == tag).ToList()) _historyByJob.Remove(jobId);
            foreach (var key in _keysByHash.Values.Where(k => k.Product == tag).ToList()) _keysByHash.Remove(key.KeyHash);
            foreach (var key in _secrets.Keys.Where(k => k.Product == tag).ToList()) _secrets.Remove(key);
            foreach (var key in _secretsUpdatedAt.Keys.Where(k => k.Product == tag).ToList()) _secretsUpdatedAt.Remove(key);
            foreach (var key in _events.Keys.Where(k => k.Product == tag).ToList()) _events.Remove(key);
            _audit.Remove(tag);
            return Task.FromResult<IReadOnlyList<long>?>(jobIds);
        }
    }

    /// <inheritdoc />
    public Task AddKeyAsync(ProductKeyRecord key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (!_products.ContainsKey(key.Product) || _keysByHash.ContainsKey(key.KeyHash) || _keysByHash.Values.Any(k => k.Id == key.Id))
                throw new ConflictException($"key '{key.Id}' cannot be added to product '{key.Product}': the product does not exist or the key is taken");
            _keysByHash.Add(key.KeyHash, key);
            return Task.CompletedTask;
        }
    }

    /// <inheritdoc />
    public Task<ProductKeyRecord?> FindKeyByHashAsync(string keyHash, CancellationToken ct)
    {
        lock (_gate) return Task.FromResult(_keysByHash.GetValueOrDefault(keyHash));
    }

    /// <inheritdoc />
    public Task PutSecretAsync(string product, string name, string protectedValue, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_products.ContainsKey(product)) throw new NotFoundException($"product '{product}' not found");
            _secrets[(product, name)] = protectedValue;
            _secretsUpdatedAt[(product, name)] = _time.GetUtcNow();
            return Task.CompletedTask;
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<SecretEntry>> ListSecretsAsync(string product, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<SecretEntry> secrets = [.. _secretsUpdatedAt.Where(s => s.Key.Product == product)
                .Select(s => new SecretEntry(s.Key.Name, s.Value)).OrderBy(s => s.Name, StringComparer.Ordinal)];
            return Task.FromResult(secrets);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, string>> GetSecretsAsync(string product, CancellationToken ct)
    {
        lock (_gate)
        {
            var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var ((owner, name), value) in _secrets)
                if (owner == product) secrets[name] = value;
            return Task.FromResult<IReadOnlyDictionary<string, string>>(secrets);
        }
    }

    /// <inheritdoc />
    public Task<EventRecord> CreateEventAsync(EventRecord ev, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ev);
        lock (_gate)
        {
            if (!_products.ContainsKey(ev.Product) || !_events.TryAdd((ev.Product, ev.Type, ev.Tag), ev))
                throw new ConflictException($"event '{ev.Type}/{ev.Tag}' already exists in product '{ev.Product}'");
            return Task.FromResult(ev);
        }
    }

    /// <inheritdoc />
    public Task<EventRecord?> GetEventAsync(string product, string type, string tag, CancellationToken ct)
    {
        lock (_gate) return Task.FromResult(_events.GetValueOrDefault((product, type, tag)));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<EventRecord>> ListEventsAsync(string product, string? type, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<EventRecord> list = _events.Values.Where(e => e.Product == product && (type is null || e.Type == type))
                .OrderBy(e => e.Type, StringComparer.Ordinal).ThenBy(e => e.Tag, StringComparer.Ordinal).ToList();
            return Task.FromResult(list);
        }
    }

    /// <inheritdoc />
    public Task<bool> UpdateEventAsync(EventRecord ev, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ev);
        lock (_gate)
        {
            var key = (ev.Product, ev.Type, ev.Tag);
            if (!_events.TryGetValue(key, out var current)) return Task.FromResult(false);
            _events[key] = current with { Name = ev.Name, DefinitionJson = ev.DefinitionJson, UpdatedAt = ev.UpdatedAt };
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<long>?> DeleteEventAsync(string product, string type, string tag, bool force, DateTimeOffset now, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_events.ContainsKey((product, type, tag))) return Task.FromResult<IReadOnlyList<long>?>(null);
            var users = _jobs.Values.Where(j => j.Product == product && j.EventType == type && j.EventTag == tag).OrderBy(j => j.Id).ToList();
            if (users.Count > 0 && !force)
            {
                var named = string.Join(", ", users.Take(JobTagsNamedInConflict).Select(u => u.Tag)) + (users.Count > JobTagsNamedInConflict ? ", …" : "");
                throw new ConflictException($"event '{type}/{tag}' is used by {users.Count} job(s): {named}; pass force=true to delete it and pause them");
            }
            // Completed jobs stay completed; only jobs that could still fire are paused.
            foreach (var job in users)
                if (job.Status == JobStatus.Active) _jobs[job.Id] = job with { Status = JobStatus.Paused, UpdatedAt = now };
            _events.Remove((product, type, tag));
            return Task.FromResult<IReadOnlyList<long>?>(users.Select(u => u.Id).ToList());
        }
    }
}
