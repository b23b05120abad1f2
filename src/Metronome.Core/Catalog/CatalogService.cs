using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Metronome.Contracts;
using Metronome.Core.Audit;
using Metronome.Core.Engine;
using Metronome.Core.Events;
using Metronome.Core.Execution;
using Metronome.Core.Jobs;
using Metronome.Core.Storage;

namespace Metronome.Core.Catalog;

/// <summary>
/// The catalogue API of one process (products, their keys, secrets and events), used by the REST endpoints and by
/// embedded hosts: validates input naming each invalid field, writes through <see cref="ICatalogStore"/>, then tells
/// the engine what changed (cancelled jobs, dropped caches).
/// </summary>
public sealed partial class CatalogService
{
    private readonly ICatalogStore catalog;
    private readonly IJobStore jobs;
    private readonly IEngineSignal engine;
    private readonly ISecretProtector protector;
    private readonly TimeProvider time;
    private readonly AuditTrail audit;
    private readonly KeyUsage _keyUse;

    /// <summary>Built by <see cref="Hosting.MetronomeServiceCollectionExtensions.AddMetronome(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{Hosting.MetronomeOptions}?)"/>; hosts resolve it.</summary>
    internal CatalogService(ICatalogStore catalog, IJobStore jobs, IEngineSignal engine, ISecretProtector protector,
        IEnumerable<IEventExecutor> executors, TimeProvider time, TimeSpan? cacheTtl = null, AuditTrail? audit = null)
    {
        (this.catalog, this.jobs, this.engine, this.protector, this.time) = (catalog, jobs, engine, protector, time);
        this.audit = audit ?? AuditTrail.None;
        _keyUse = new KeyUsage(catalog, time);
        _executors = BuildExecutorMap(executors);
        Cache = new CatalogCache(catalog, time, cacheTtl ?? new Engine.Cluster.ClusterOptions().CatalogCacheTtl);
    }

    /// <summary>Prefix of every product key, so a leaked key is recognisable by secret scanners.</summary>
    public const string KeyPrefix = "mk_";

    private const int MaxDescriptionLength = 2000;
    private readonly Dictionary<string, IEventExecutor> _executors;

    /// <summary>Cached answers of the per-request checks (product, event, key); this service drops them on every change it makes.</summary>
    internal CatalogCache Cache { get; }

    // \z, not $: "$" also matches before a final "\n".
    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,63}\z")]
    private static partial Regex SecretNamePattern();

    /// <summary>Event types this process can execute (an executor is registered for each).</summary>
    public IReadOnlyCollection<string> AvailableEventTypes => _executors.Keys;

    // --- Products ---

    /// <summary>Creates a product. Throws <see cref="ValidationFailedException"/> or <see cref="ConflictException"/> (tag taken).</summary>
    public async Task<ProductRecord> CreateProductAsync(Product request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var e = new ValidationErrors();
        var tag = JobValidator.RequireTag(request.Tag, "tag", e);
        var name = JobValidator.RequireName(request.Name, e);
        CheckDescription(request.Description, e);
        CheckMaxConcurrency(request.MaxConcurrency, e);
        e.ThrowIfAny();
        var now = time.GetUtcNow();
        var created = await catalog.CreateProductAsync(new ProductRecord
        {
            Tag = tag!, Name = name!, Description = request.Description, MaxConcurrency = request.MaxConcurrency, CreatedAt = now, UpdatedAt = now,
        }, ct);
        if (created.MaxConcurrency is not null) engine.CatalogChanged(created.Tag);
        await audit.RecordAsync(created.Tag, AuditActions.ProductCreate, created.Tag, AuditDiff.Product(null, created));
        return created;
    }

    /// <summary>Every product.</summary>
    public Task<IReadOnlyList<ProductRecord>> ListProductsAsync(CancellationToken ct = default) => catalog.ListProductsAsync(ct);

    /// <summary>One product. Throws <see cref="NotFoundException"/>.</summary>
    public async Task<ProductRecord> GetProductAsync(string product, CancellationToken ct = default) =>
        await catalog.GetProductAsync(product, ct) ?? throw ProductNotFound(product);

    /// <summary>Changes the name, description and/or max_concurrency of a product (only the fields given).</summary>
    public async Task<ProductRecord> UpdateProductAsync(string product, ProductUpdate request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var e = new ValidationErrors();
        var name = request.Name is null ? null : JobValidator.RequireName(request.Name, e);
        CheckDescription(request.Description, e);
        CheckMaxConcurrency(request.MaxConcurrency, e);
        e.ThrowIfAny();
        var current = await GetProductAsync(product, ct);
        var updated = current with
        {
            Name = name ?? current.Name,
            Description = request.Description ?? current.Description,
            MaxConcurrency = request.MaxConcurrency ?? current.MaxConcurrency,
            UpdatedAt = time.GetUtcNow(),
        };
        if (!await catalog.UpdateProductAsync(updated, ct)) throw ProductNotFound(product);
        if (updated.MaxConcurrency != current.MaxConcurrency) engine.CatalogChanged(product);
        await audit.RecordAsync(product, AuditActions.ProductUpdate, product, AuditDiff.Product(current, updated), skipIfUnchanged: true);
        return updated;
    }

    /// <summary>Deletes a product with its keys, secrets, events and jobs; no execution of its jobs starts afterwards.</summary>
    public async Task DeleteProductAsync(string product, CancellationToken ct = default)
    {
        var jobIds = await catalog.DeleteProductAsync(product, ct);
        Cache.Invalidate(product); // also when another node deleted it first: this node may still have it cached
        if (jobIds is null) throw ProductNotFound(product);
        foreach (var id in jobIds) engine.Cancel(id);
        engine.CatalogChanged(product);
        // The product's log went with it; this entry starts the log of a product re-created with the same tag.
        await audit.RecordAsync(product, AuditActions.ProductDelete, product, NoChanges);
    }

    // --- Keys ---

    /// <summary>Creates a product key: the key is returned once, only its SHA-256 hash is stored.</summary>
    public async Task<ProductKey> CreateKeyAsync(string product, CancellationToken ct = default)
    {
        await GetProductAsync(product, ct);
        var key = KeyPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var id = Guid.CreateVersion7(time.GetUtcNow()).ToString("N");
        await catalog.AddKeyAsync(new ProductKeyRecord(id, product, HashKey(key), time.GetUtcNow()), ct);
        await audit.RecordAsync(product, AuditActions.KeyCreate, id, NoChanges);
        return new ProductKey { Id = id, Key = key };
    }

    /// <summary>The product a key belongs to, or null when the key is unknown.</summary>
    public async Task<string?> ResolveKeyAsync(string key, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(key) || !key.StartsWith(KeyPrefix, StringComparison.Ordinal) || key.Length > 200) return null;
        return await Cache.ProductOfKeyAsync(HashKey(key), ct);
    }

    /// <summary>
    /// The product of the key whose hash (<see cref="HashKey"/>) this is, or null when no such key exists (any more): how a
    /// dashboard session, which keeps the key's hash and never the key, is checked against the key store on every request.
    /// </summary>
    public async Task<string?> ResolveKeyHashAsync(string keyHash, CancellationToken ct = default) =>
        string.IsNullOrEmpty(keyHash) ? null : await Cache.ProductOfKeyAsync(keyHash, ct);

    /// <summary>Lower-case hex SHA-256 of a key, as stored.</summary>
    public static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    // --- Secrets ---

    /// <summary>The names of a product's secrets and when each was last set, by name; values are never returned.</summary>
    public async Task<IReadOnlyList<Storage.SecretEntry>> ListSecretsAsync(string product, CancellationToken ct = default)
    {
        await GetProductAsync(product, ct);
        return await catalog.ListSecretsAsync(product, ct);
    }

    /// <summary>Stores (or replaces) a product secret, encrypted. Secrets are never returned.</summary>
    public async Task PutSecretAsync(string product, string name, SecretValue request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var e = new ValidationErrors();
        if (string.IsNullOrEmpty(name) || !SecretNamePattern().IsMatch(name)) e.Add("name", "name must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$.");
        if (request.Value is null) e.Add("value", "value is required.");
        e.ThrowIfAny();
        await GetProductAsync(product, ct);
        bool existed = (await catalog.ListSecretsAsync(product, ct)).Any(s => s.Name == name);
        await catalog.PutSecretAsync(product, name, protector.Protect(request.Value!), ct);
        engine.CatalogChanged(product);
        await audit.RecordAsync(product, AuditActions.SecretPut, name, MaskedSecret(existed, exists: true));
    }

    // --- Events ---

    /// <summary>Creates an event; its definition is checked by the executor of its type.</summary>
    public async Task<EventRecord> CreateEventAsync(string product, ProductEvent request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var e = new ValidationErrors();
        var type = JobValidator.RequireEventType(request.Type, e, "type");
        var tag = JobValidator.RequireTag(request.Tag, "tag", e);
        var name = JobValidator.RequireName(request.Name, e);
        var definition = CheckDefinition(type, request.Definition, required: true, e);
        e.ThrowIfAny();
        await GetProductAsync(product, ct);
        var now = time.GetUtcNow();
        var created = await catalog.CreateEventAsync(new EventRecord
        {
            Product = product, Type = type!, Tag = tag!, Name = name!, DefinitionJson = definition!, CreatedAt = now, UpdatedAt = now,
        }, ct);
        await audit.RecordAsync(product, AuditActions.EventCreate, EventTarget(created.Type, created.Tag), AuditDiff.Event(null, created));
        return created;
    }

    /// <summary>Events of a product, optionally of one type.</summary>
    public async Task<IReadOnlyList<EventRecord>> ListEventsAsync(string product, string? type, CancellationToken ct = default)
    {
        string? normalized = null;
        if (type is not null)
        {
            normalized = JobEventTypes.Normalize(type);
            if (normalized is null) throw ValidationFailedException.For("type", $"type must be one of {string.Join(", ", JobEventTypes.All)}.");
        }
        await GetProductAsync(product, ct);
        return await catalog.ListEventsAsync(product, normalized, ct);
    }

    /// <summary>One event. Throws <see cref="NotFoundException"/>.</summary>
    public async Task<EventRecord> GetEventAsync(string product, string type, string tag, CancellationToken ct = default)
    {
        var normalized = JobEventTypes.Normalize(type) ?? throw EventNotFound(product, type, tag);
        return await catalog.GetEventAsync(product, normalized, tag, ct) ?? throw EventNotFound(product, normalized, tag);
    }

    /// <summary>Changes the name and/or definition of an event; running engines drop their cached copy.</summary>
    public async Task<EventRecord> UpdateEventAsync(string product, string type, string tag, ProductEventUpdate request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var current = await GetEventAsync(product, type, tag, ct);
        var e = new ValidationErrors();
        var name = request.Name is null ? null : JobValidator.RequireName(request.Name, e);
        var definition = CheckDefinition(current.Type, request.Definition, required: false, e);
        e.ThrowIfAny();
        var updated = current with
        {
            Name = name ?? current.Name,
            DefinitionJson = definition ?? current.DefinitionJson,
            UpdatedAt = time.GetUtcNow(),
        };
        if (!await catalog.UpdateEventAsync(updated, ct)) throw EventNotFound(product, current.Type, tag);
        Cache.Invalidate(product);
        engine.CatalogChanged(product);
        await audit.RecordAsync(product, AuditActions.EventUpdate, EventTarget(current.Type, tag), AuditDiff.Event(current, updated), skipIfUnchanged: true);
        return updated;
    }

    /// <summary>
    /// Deletes an event. Throws <see cref="ConflictException"/> when jobs use it, unless <paramref name="force"/>:
    /// then those jobs are paused and no execution of them starts afterwards.
    /// </summary>
    public async Task DeleteEventAsync(string product, string type, string tag, bool force, CancellationToken ct = default)
    {
        var normalized = JobEventTypes.Normalize(type) ?? throw EventNotFound(product, type, tag);
        var paused = await catalog.DeleteEventAsync(product, normalized, tag, force, time.GetUtcNow(), ct)
            ?? throw EventNotFound(product, normalized, tag);
        Cache.Invalidate(product);
        foreach (var id in paused) engine.Cancel(id);
        engine.CatalogChanged(product);
        await audit.RecordAsync(product, AuditActions.EventDelete, EventTarget(normalized, tag), PausedJobs(paused.Count));
    }

    // --- Health ---

    /// <summary>Reads both stores once and asks a store that can tell whether it is still writable; throws when either does not answer.</summary>
    public async Task PingAsync(CancellationToken ct = default)
    {
        await catalog.GetProductAsync("-", ct);
        await jobs.GetJobAsync("-", "-", ct);
        if (catalog is IStoreWritability writability) await writability.CheckWritableAsync(ct);
    }

    private string? CheckDefinition(string? type, JsonElement? definition, bool required, ValidationErrors e)
    {
        if (definition is not { } def || def.ValueKind == JsonValueKind.Null)
        {
            if (required) e.Add("definition", "definition is required (a JSON object).");
            return null;
        }
        if (def.ValueKind != JsonValueKind.Object) { e.Add("definition", "definition must be a JSON object."); return null; }
        if (type is null) return null;
        if (!_executors.TryGetValue(type, out var executor))
        {
            e.Add("type", $"event type '{type}' is not available on this server.");
            return null;
        }
        executor.Validate(def, e);
        return def.GetRawText();
    }

    private static void CheckDescription(string? description, ValidationErrors e)
    {
        if (description is { Length: > MaxDescriptionLength }) e.Add("description", $"description must be at most {MaxDescriptionLength} characters.");
    }

    private static void CheckMaxConcurrency(int? maxConcurrency, ValidationErrors e)
    {
        if (maxConcurrency is < 1 or > ProductLimits.MaxConcurrency)
            e.Add("max_concurrency", $"max_concurrency must be between 1 and {ProductLimits.MaxConcurrency}.");
    }

    private static Dictionary<string, IEventExecutor> BuildExecutorMap(IEnumerable<IEventExecutor> executors)
    {
        var map = new Dictionary<string, IEventExecutor>(StringComparer.Ordinal);
        // The last registration wins, as with any DI override.
        foreach (var executor in executors) map[executor.EventType] = executor;
        return map;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static NotFoundException ProductNotFound(string product) => new($"product '{product}' not found");

    private static NotFoundException EventNotFound(string product, string type, string tag) =>
        new($"{type} event '{tag}' not found in product '{product}'");
}
