using System.Text.RegularExpressions;
using Metronome.Core.Audit;
using Metronome.Core.Storage;

namespace Metronome.Core.Catalog;

/// <summary>A product key as authentication resolved it: whose it is and its id (the audit log's actor).</summary>
public sealed record ResolvedKey(string Product, string KeyId);

public sealed partial class CatalogService
{
    private static readonly IReadOnlyDictionary<string, AuditChange> NoChanges = new Dictionary<string, AuditChange>();

    // --- Keys: authentication, listing, revocation ---

    /// <summary>
    /// The product and id of a product key, or null when the key is unknown (or revoked). Notes the key's use for
    /// <see cref="ListKeysAsync"/>'s <c>last_used_at</c> (written at most once a minute per key, off the caller's path).
    /// </summary>
    public async Task<ResolvedKey?> AuthenticateKeyAsync(string key, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(key) || !key.StartsWith(KeyPrefix, StringComparison.Ordinal) || key.Length > 200) return null;
        return await AuthenticateKeyHashAsync(HashKey(key), ct);
    }

    /// <summary>As <see cref="AuthenticateKeyAsync"/>, from the key's hash (<see cref="HashKey"/>): how a dashboard session acts as its key.</summary>
    public async Task<ResolvedKey?> AuthenticateKeyHashAsync(string keyHash, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(keyHash) || await Cache.KeyAsync(keyHash, ct) is not { } found) return null;
        _keyUse.Note(found.Id);
        return new ResolvedKey(found.Product, found.Id);
    }

    /// <summary>The product's keys with when each was created and last used; never a key. Throws <see cref="NotFoundException"/>.</summary>
    public async Task<IReadOnlyList<KeyEntry>> ListKeysAsync(string product, CancellationToken ct = default)
    {
        await GetProductAsync(product, ct);
        return await catalog.ListKeysAsync(product, ct);
    }

    /// <summary>
    /// Revokes a product key: this node stops accepting it at once, every other node when it hears of the change (the
    /// catalogue change feed; within the feed's latency, and the cache's time to live at worst). Sessions made with the key
    /// end with it. Throws <see cref="NotFoundException"/>.
    /// </summary>
    public async Task RevokeKeyAsync(string product, string id, CancellationToken ct = default)
    {
        await GetProductAsync(product, ct);
        bool deleted = await catalog.DeleteKeyAsync(product, id, ct);
        Cache.Invalidate(product); // also when another node revoked it first: this node may still have it cached
        if (!deleted) throw new NotFoundException($"key '{id}' not found in product '{product}'");
        await audit.RecordAsync(product, AuditActions.KeyRevoke, id, NoChanges);
    }

    // --- Secrets: deletion ---

    /// <summary>
    /// Deletes a secret. Throws <see cref="ConflictException"/> naming the events whose definitions use it
    /// (<c>{{secrets.NAME}}</c>), unless <paramref name="force"/> (their executions then fail on the missing secret), and
    /// <see cref="NotFoundException"/> when there is no such secret.
    /// </summary>
    public async Task DeleteSecretAsync(string product, string name, bool force, CancellationToken ct = default)
    {
        await GetProductAsync(product, ct);
        if (!(await catalog.ListSecretsAsync(product, ct)).Any(s => s.Name == name)) throw SecretNotFound(product, name);
        if (!force)
        {
            var users = (await catalog.ListEventsAsync(product, type: null, ct)).Where(e => UsesSecret(e.DefinitionJson, name))
                .Select(e => EventTarget(e.Type, e.Tag)).ToList();
            if (users.Count > 0)
                throw new ConflictException($"secret '{name}' is used by {users.Count} event(s): {string.Join(", ", users)}; pass force=true to delete it anyway");
        }
        if (!await catalog.DeleteSecretAsync(product, name, ct)) throw SecretNotFound(product, name);
        engine.CatalogChanged(product);
        await audit.RecordAsync(product, AuditActions.SecretDelete, name, MaskedSecret(existed: true, exists: false));
    }

    /// <summary>Whether a definition names the secret in a placeholder (conservative: any <c>{{…}}</c> naming both).</summary>
    internal static bool UsesSecret(string definitionJson, string name) =>
        Regex.IsMatch(definitionJson, @"\{\{[^}]*\bsecrets\b[^}]*\b" + Regex.Escape(name) + @"\b[^}]*\}\}", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static NotFoundException SecretNotFound(string product, string name) => new($"secret '{name}' not found in product '{product}'");

    /// <summary>An event as the audit log names it: <c>type/tag</c>.</summary>
    private static string EventTarget(string type, string tag) => $"{type}/{tag}";

    /// <summary>A secret change as the audit log shows it: the value is never there, only whether there was one.</summary>
    private static Dictionary<string, AuditChange> MaskedSecret(bool existed, bool exists) => new(StringComparer.Ordinal)
    {
        ["value"] = new AuditChange(existed ? AuditDiff.Masked : null, exists ? AuditDiff.Masked : null),
    };

    private static Dictionary<string, AuditChange> PausedJobs(int count) =>
        count == 0 ? [] : new(StringComparer.Ordinal) { ["paused_jobs"] = new AuditChange(null, count.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
}
