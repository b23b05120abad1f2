using Metronome.Core;
using Metronome.Core.Catalog;
using Metronome.Core.Events;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite.Internal;
using Microsoft.Data.Sqlite;

namespace Metronome.Storage.Sqlite;

public sealed partial class SqliteJobStore
{
    private const int JobTagsNamedInConflict = 10;

    /// <inheritdoc />
    public async Task<ProductRecord> CreateProductAsync(ProductRecord product, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(product);
        try
        {
            await WriteAsync((c, tx) =>
            {
                using var cmd = c.Command(tx, "INSERT INTO products (tag, name, description, max_concurrency, created_at, updated_at) VALUES (@tag, @name, @description, @max_concurrency, @created_at, @updated_at)")
                    .With("@tag", product.Tag).With("@name", product.Name).With("@description", product.Description).With("@max_concurrency", product.MaxConcurrency)
                    .With("@created_at", Sql.Ms(product.CreatedAt)).With("@updated_at", Sql.Ms(product.UpdatedAt));
                cmd.ExecuteNonQuery();
            }, ct).ConfigureAwait(false);
            return product;
        }
        catch (SqliteException e) when (e.IsConstraintViolation())
        {
            throw new ConflictException($"product '{product.Tag}' already exists");
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ProductRecord>> ListProductsAsync(CancellationToken ct) => ReadAsync<IReadOnlyList<ProductRecord>>(c =>
    {
        using var cmd = c.Command(null, "SELECT tag, name, description, created_at, updated_at, max_concurrency FROM products ORDER BY tag");
        return ReadProducts(cmd);
    }, ct);

    /// <inheritdoc />
    public Task<ProductRecord?> GetProductAsync(string tag, CancellationToken ct) => ReadAsync(c =>
    {
        using var cmd = c.Command(null, "SELECT tag, name, description, created_at, updated_at, max_concurrency FROM products WHERE tag = @tag").With("@tag", tag);
        return ReadProducts(cmd) is [var product] ? product : null;
    }, ct);

    /// <inheritdoc />
    public Task<bool> UpdateProductAsync(ProductRecord product, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(product);
        return WriteAsync((c, tx) =>
        {
            using var cmd = c.Command(tx, "UPDATE products SET name = @name, description = @description, max_concurrency = @max_concurrency, updated_at = @updated_at WHERE tag = @tag")
                .With("@tag", product.Tag).With("@name", product.Name).With("@description", product.Description).With("@max_concurrency", product.MaxConcurrency)
                .With("@updated_at", Sql.Ms(product.UpdatedAt));
            return cmd.ExecuteNonQuery() == 1;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<long>?> DeleteProductAsync(string tag, CancellationToken ct) => WriteAsync<IReadOnlyList<long>?>((c, tx) =>
    {
        using var exists = c.Command(tx, "SELECT 1 FROM products WHERE tag = @tag").With("@tag", tag);
        if (exists.ExecuteScalar() is null) return null;
        var jobIds = new List<long>();
        using (var jobs = c.Command(tx, "DELETE FROM jobs WHERE product = @tag RETURNING id").With("@tag", tag))
        using (var r = jobs.ExecuteReader())
        {
            while (r.Read()) jobIds.Add(r.GetInt64(0));
        }
        // Explicit rather than relying on ON DELETE CASCADE alone, so the outcome does not depend on the foreign_keys pragma.
        // Runs go with their product (after its jobs, so none can be claimed in between): a product re-created with the
        // same tag starts with no history.
        foreach (var table in (string[])["runs", "product_keys", "secrets", "events", "audit_log"])
            Delete(c, tx, $"DELETE FROM {table} WHERE product = @tag", tag);
        Delete(c, tx, "DELETE FROM products WHERE tag = @tag", tag);
        jobIds.Sort();
        return jobIds;
    }, ct);

    /// <inheritdoc />
    public async Task AddKeyAsync(ProductKeyRecord key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            await WriteAsync((c, tx) =>
            {
                using var cmd = c.Command(tx, "INSERT INTO product_keys (id, product, key_hash, created_at) VALUES (@id, @product, @hash, @created_at)")
                    .With("@id", key.Id).With("@product", key.Product).With("@hash", key.KeyHash).With("@created_at", Sql.Ms(key.CreatedAt));
                cmd.ExecuteNonQuery();
            }, ct).ConfigureAwait(false);
        }
        catch (SqliteException e) when (e.IsConstraintViolation())
        {
            throw new ConflictException($"key '{key.Id}' cannot be added to product '{key.Product}': the product does not exist or the key is taken");
        }
    }

    /// <inheritdoc />
    public Task<ProductKeyRecord?> FindKeyByHashAsync(string keyHash, CancellationToken ct) => ReadAsync(c =>
    {
        using var cmd = c.Command(null, "SELECT id, product, key_hash, created_at FROM product_keys WHERE key_hash = @hash").With("@hash", keyHash);
        using var r = cmd.ExecuteReader();
        return r.Read() ? new ProductKeyRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.At(3)) : null;
    }, ct);

    /// <inheritdoc />
    public async Task PutSecretAsync(string product, string name, string protectedValue, CancellationToken ct)
    {
        try
        {
            await WriteAsync((c, tx) =>
            {
                using var cmd = c.Command(tx, """
                    INSERT INTO secrets (product, name, value, updated_at) VALUES (@product, @name, @value, @now)
                    ON CONFLICT (product, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """).With("@product", product).With("@name", name).With("@value", protectedValue).With("@now", Sql.Ms(_time.GetUtcNow()));
                cmd.ExecuteNonQuery();
            }, ct).ConfigureAwait(false);
        }
        catch (SqliteException e) when (e.IsConstraintViolation())
        {
            throw new NotFoundException($"product '{product}' not found");
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, string>> GetSecretsAsync(string product, CancellationToken ct) => ReadAsync<IReadOnlyDictionary<string, string>>(c =>
    {
        using var cmd = c.Command(null, "SELECT name, value FROM secrets WHERE product = @product").With("@product", product);
        using var r = cmd.ExecuteReader();
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        while (r.Read()) secrets[r.GetString(0)] = r.GetString(1);
        return secrets;
    }, ct);

    /// <inheritdoc />
    public Task<IReadOnlyList<SecretEntry>> ListSecretsAsync(string product, CancellationToken ct) => ReadAsync<IReadOnlyList<SecretEntry>>(c =>
    {
        using var cmd = c.Command(null, "SELECT name, updated_at FROM secrets WHERE product = @product ORDER BY name").With("@product", product);
        using var r = cmd.ExecuteReader();
        var secrets = new List<SecretEntry>();
        while (r.Read()) secrets.Add(new SecretEntry(r.GetString(0), r.AtOrNull(1)));
        return secrets;
    }, ct);

    /// <inheritdoc />
    public async Task<EventRecord> CreateEventAsync(EventRecord ev, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ev);
        try
        {
            await WriteAsync((c, tx) =>
            {
                using var cmd = c.Command(tx, """
                    INSERT INTO events (product, type, tag, name, definition, created_at, updated_at)
                    VALUES (@product, @type, @tag, @name, @definition, @created_at, @updated_at)
                    """).With("@product", ev.Product).With("@type", ev.Type).With("@tag", ev.Tag).With("@name", ev.Name)
                    .With("@definition", ev.DefinitionJson).With("@created_at", Sql.Ms(ev.CreatedAt)).With("@updated_at", Sql.Ms(ev.UpdatedAt));
                cmd.ExecuteNonQuery();
            }, ct).ConfigureAwait(false);
            return ev;
        }
        catch (SqliteException e) when (e.IsConstraintViolation())
        {
            throw new ConflictException($"event '{ev.Type}/{ev.Tag}' already exists in product '{ev.Product}'");
        }
    }

    /// <inheritdoc />
    public Task<EventRecord?> GetEventAsync(string product, string type, string tag, CancellationToken ct) => ReadAsync(c =>
    {
        using var cmd = c.Command(null, $"{SelectEvents} WHERE product = @product AND type = @type AND tag = @tag")
            .With("@product", product).With("@type", type).With("@tag", tag);
        return ReadEvents(cmd) is [var ev] ? ev : null;
    }, ct);

    /// <inheritdoc />
    public Task<IReadOnlyList<EventRecord>> ListEventsAsync(string product, string? type, CancellationToken ct) => ReadAsync<IReadOnlyList<EventRecord>>(c =>
    {
        using var cmd = c.Command(null, $"{SelectEvents} WHERE product = @product AND (@type IS NULL OR type = @type) ORDER BY type, tag")
            .With("@product", product).With("@type", type);
        return ReadEvents(cmd);
    }, ct);

    /// <inheritdoc />
    public Task<bool> UpdateEventAsync(EventRecord ev, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ev);
        return WriteAsync((c, tx) =>
        {
            using var cmd = c.Command(tx, """
                UPDATE events SET name = @name, definition = @definition, updated_at = @updated_at
                WHERE product = @product AND type = @type AND tag = @tag
                """).With("@product", ev.Product).With("@type", ev.Type).With("@tag", ev.Tag).With("@name", ev.Name)
                .With("@definition", ev.DefinitionJson).With("@updated_at", Sql.Ms(ev.UpdatedAt));
            return cmd.ExecuteNonQuery() == 1;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<long>?> DeleteEventAsync(string product, string type, string tag, bool force, DateTimeOffset now, CancellationToken ct) =>
        WriteAsync<IReadOnlyList<long>?>((c, tx) =>
        {
            using var exists = c.Command(tx, "SELECT 1 FROM events WHERE product = @product AND type = @type AND tag = @tag")
                .With("@product", product).With("@type", type).With("@tag", tag);
            if (exists.ExecuteScalar() is null) return null;

            var users = new List<(long Id, string Tag)>();
            using (var find = c.Command(tx, "SELECT id, tag FROM jobs WHERE product = @product AND event_type = @type AND event_tag = @tag ORDER BY id")
                .With("@product", product).With("@type", type).With("@tag", tag))
            using (var r = find.ExecuteReader())
            {
                while (r.Read()) users.Add((r.GetInt64(0), r.GetString(1)));
            }
            if (users.Count > 0 && !force)
            {
                var named = string.Join(", ", users.Take(JobTagsNamedInConflict).Select(u => u.Tag)) + (users.Count > JobTagsNamedInConflict ? ", …" : "");
                throw new ConflictException($"event '{type}/{tag}' is used by {users.Count} job(s): {named}; pass force=true to delete it and pause them");
            }
            if (users.Count > 0)
            {
                // Completed jobs stay completed; only jobs that could still fire are paused.
                using var pause = c.Command(tx, """
                    UPDATE jobs SET status = 'paused', updated_at = @now
                    WHERE product = @product AND event_type = @type AND event_tag = @tag AND status = 'active'
                    """).With("@product", product).With("@type", type).With("@tag", tag).With("@now", Sql.Ms(now));
                pause.ExecuteNonQuery();
            }
            using var delete = c.Command(tx, "DELETE FROM events WHERE product = @product AND type = @type AND tag = @tag")
                .With("@product", product).With("@type", type).With("@tag", tag);
            delete.ExecuteNonQuery();
            return users.Select(u => u.Id).ToList();
        }, ct);

    private const string SelectEvents = "SELECT product, type, tag, name, definition, created_at, updated_at FROM events";

    private static List<EventRecord> ReadEvents(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<EventRecord>();
        while (r.Read())
        {
            list.Add(new EventRecord
            {
                Product = r.GetString(0),
                Type = r.GetString(1),
                Tag = r.GetString(2),
                Name = r.GetString(3),
                DefinitionJson = r.GetString(4),
                CreatedAt = r.At(5),
                UpdatedAt = r.At(6),
            });
        }
        return list;
    }

    private static List<ProductRecord> ReadProducts(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<ProductRecord>();
        while (r.Read())
            list.Add(new ProductRecord { Tag = r.GetString(0), Name = r.GetString(1), Description = r.StringOrNull(2), CreatedAt = r.At(3), UpdatedAt = r.At(4),
                MaxConcurrency = r.IsDBNull(5) ? null : r.GetInt32(5),
            });
        return list;
    }

    private static void Delete(SqliteConnection c, SqliteTransaction tx, string sql, string tag)
    {
        using var cmd = c.Command(tx, sql).With("@tag", tag);
        cmd.ExecuteNonQuery();
    }
}
