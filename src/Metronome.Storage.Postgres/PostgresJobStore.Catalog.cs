using Metronome.Core;
using Metronome.Core.Catalog;
using Metronome.Core.Events;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;
using Npgsql;

namespace Metronome.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    private const int JobTagsNamedInConflict = 10;
    private const string SelectProducts = "SELECT tag, name, description, created_at, updated_at, max_concurrency FROM products";
    private const string SelectEvents = "SELECT product, type, tag, name, definition, created_at, updated_at FROM events";

    /// <inheritdoc />
    public async Task<ProductRecord> CreateProductAsync(ProductRecord product, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(product);
        try
        {
            await WriteAsync(async (c, tx) =>
            {
                await using var cmd = c.Command(tx, "INSERT INTO products (tag, name, description, max_concurrency, created_at, updated_at) VALUES (@tag, @name, @description, @max_concurrency, @created_at, @updated_at)")
                    .With("tag", product.Tag).With("name", product.Name).With("description", product.Description).With("max_concurrency", product.MaxConcurrency)
                    .With("created_at", Sql.Ms(product.CreatedAt)).With("updated_at", Sql.Ms(product.UpdatedAt));
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                await CatalogChangedAsync(c, tx, product.Tag, ct).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
            return product;
        }
        catch (PostgresException e) when (e.IsUniqueViolation())
        {
            throw new ConflictException($"product '{product.Tag}' already exists");
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ProductRecord>> ListProductsAsync(CancellationToken ct) => ReadAsync<IReadOnlyList<ProductRecord>>(async c =>
    {
        await using var cmd = c.Command(null, $"{SelectProducts} ORDER BY tag");
        return await ReadProductsAsync(cmd, ct).ConfigureAwait(false);
    }, ct);

    /// <inheritdoc />
    public Task<ProductRecord?> GetProductAsync(string tag, CancellationToken ct) => ReadAsync(async c =>
    {
        await using var cmd = c.Command(null, $"{SelectProducts} WHERE tag = @tag").With("tag", tag);
        return await ReadProductsAsync(cmd, ct).ConfigureAwait(false) is [var product] ? product : null;
    }, ct);

    /// <inheritdoc />
    public Task<bool> UpdateProductAsync(ProductRecord product, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(product);
        return WriteAsync(async (c, tx) =>
        {
            await using var cmd = c.Command(tx, "UPDATE products SET name = @name, description = @description, max_concurrency = @max_concurrency, updated_at = @updated_at WHERE tag = @tag")
                .With("tag", product.Tag).With("name", product.Name).With("description", product.Description).With("max_concurrency", product.MaxConcurrency)
                .With("updated_at", Sql.Ms(product.UpdatedAt));
            if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1) return false;
            await CatalogChangedAsync(c, tx, product.Tag, ct).ConfigureAwait(false);
            return true;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<long>?> DeleteProductAsync(string tag, CancellationToken ct) => WriteAsync<IReadOnlyList<long>?>(async (c, tx) =>
    {
        await using (var exists = c.Command(tx, "SELECT 1 FROM products WHERE tag = @tag FOR UPDATE").With("tag", tag))
            if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is null) return null;
        var jobIds = await ReadIdsAsync(c.Command(tx, "DELETE FROM jobs WHERE product = @tag RETURNING id").With("tag", tag), ct).ConfigureAwait(false);
        // Runs go with their product (after its jobs, whose row locks keep a concurrent claim from adding runs unseen by
        // this statement): a product re-created with the same tag starts with no history.
        foreach (var table in (string[])["runs", "product_keys", "secrets", "events", "audit_log", "products"])
        {
            await using var delete = c.Command(tx, $"DELETE FROM {table} WHERE {(table == "products" ? "tag" : "product")} = @tag").With("tag", tag);
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        jobIds.Sort();
        await CatalogChangedAsync(c, tx, tag, ct).ConfigureAwait(false);
        await NotifyAsync(c, tx, jobIds.ConvertAll(id => new ScheduleChange(id, null, Cancelled: true)), ct).ConfigureAwait(false);
        return jobIds;
    }, ct);

    /// <inheritdoc />
    public async Task AddKeyAsync(ProductKeyRecord key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            await WriteAsync(async (c, tx) =>
            {
                await using var cmd = c.Command(tx, "INSERT INTO product_keys (id, product, key_hash, created_at) VALUES (@id, @product, @hash, @created_at)")
                    .With("id", key.Id).With("product", key.Product).With("hash", key.KeyHash).With("created_at", Sql.Ms(key.CreatedAt));
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                await CatalogChangedAsync(c, tx, key.Product, ct).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.IsUniqueViolation() || e.IsForeignKeyViolation())
        {
            throw new ConflictException($"key '{key.Id}' cannot be added to product '{key.Product}': the product does not exist or the key is taken");
        }
    }

    /// <inheritdoc />
    public Task<ProductKeyRecord?> FindKeyByHashAsync(string keyHash, CancellationToken ct) => ReadAsync(async c =>
    {
        await using var cmd = c.Command(null, "SELECT id, product, key_hash, created_at FROM product_keys WHERE key_hash = @hash").With("hash", keyHash);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? new ProductKeyRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.At(3)) : null;
    }, ct);

    /// <inheritdoc />
    public async Task PutSecretAsync(string product, string name, string protectedValue, CancellationToken ct)
    {
        try
        {
            await WriteAsync(async (c, tx) =>
            {
                await using var cmd = c.Command(tx, """
                    INSERT INTO secrets (product, name, value, updated_at) VALUES (@product, @name, @value, metronome_now_ms())
                    ON CONFLICT (product, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """).With("product", product).With("name", name).With("value", protectedValue);
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                await CatalogChangedAsync(c, tx, product, ct).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.IsForeignKeyViolation())
        {
            throw new NotFoundException($"product '{product}' not found");
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, string>> GetSecretsAsync(string product, CancellationToken ct) => ReadAsync<IReadOnlyDictionary<string, string>>(async c =>
    {
        await using var cmd = c.Command(null, "SELECT name, value FROM secrets WHERE product = @product").With("product", product);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) secrets[r.GetString(0)] = r.GetString(1);
        return secrets;
    }, ct);

    /// <inheritdoc />
    public Task<IReadOnlyList<SecretEntry>> ListSecretsAsync(string product, CancellationToken ct) => ReadAsync<IReadOnlyList<SecretEntry>>(async c =>
    {
        await using var cmd = c.Command(null, "SELECT name, updated_at FROM secrets WHERE product = @product ORDER BY name COLLATE \"C\"").With("product", product);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var secrets = new List<SecretEntry>();
        while (await r.ReadAsync(ct).ConfigureAwait(false)) secrets.Add(new SecretEntry(r.GetString(0), r.AtOrNull(1)));
        return secrets;
    }, ct);

    /// <inheritdoc />
    public async Task<EventRecord> CreateEventAsync(EventRecord ev, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ev);
        try
        {
            await WriteAsync(async (c, tx) =>
            {
                await using var cmd = c.Command(tx, """
                    INSERT INTO events (product, type, tag, name, definition, created_at, updated_at)
                    VALUES (@product, @type, @tag, @name, @definition, @created_at, @updated_at)
                    """).With("product", ev.Product).With("type", ev.Type).With("tag", ev.Tag).With("name", ev.Name)
                    .With("definition", ev.DefinitionJson).With("created_at", Sql.Ms(ev.CreatedAt)).With("updated_at", Sql.Ms(ev.UpdatedAt));
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                await CatalogChangedAsync(c, tx, ev.Product, ct).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
            return ev;
        }
        catch (PostgresException e) when (e.IsUniqueViolation() || e.IsForeignKeyViolation())
        {
            throw new ConflictException($"event '{ev.Type}/{ev.Tag}' already exists in product '{ev.Product}'");
        }
    }

    /// <inheritdoc />
    public Task<EventRecord?> GetEventAsync(string product, string type, string tag, CancellationToken ct) => ReadAsync(async c =>
    {
        await using var cmd = c.Command(null, $"{SelectEvents} WHERE product = @product AND type = @type AND tag = @tag")
            .With("product", product).With("type", type).With("tag", tag);
        return await ReadEventsAsync(cmd, ct).ConfigureAwait(false) is [var ev] ? ev : null;
    }, ct);

    /// <inheritdoc />
    public Task<IReadOnlyList<EventRecord>> ListEventsAsync(string product, string? type, CancellationToken ct) => ReadAsync<IReadOnlyList<EventRecord>>(async c =>
    {
        await using var cmd = c.Command(null, $"{SelectEvents} WHERE product = @product AND (@type::text IS NULL OR type = @type) ORDER BY type, tag")
            .With("product", product).With("type", type);
        return await ReadEventsAsync(cmd, ct).ConfigureAwait(false);
    }, ct);

    /// <inheritdoc />
    public Task<bool> UpdateEventAsync(EventRecord ev, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ev);
        return WriteAsync(async (c, tx) =>
        {
            await using var cmd = c.Command(tx, """
                UPDATE events SET name = @name, definition = @definition, updated_at = @updated_at
                WHERE product = @product AND type = @type AND tag = @tag
                """).With("product", ev.Product).With("type", ev.Type).With("tag", ev.Tag).With("name", ev.Name)
                .With("definition", ev.DefinitionJson).With("updated_at", Sql.Ms(ev.UpdatedAt));
            if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1) return false;
            await CatalogChangedAsync(c, tx, ev.Product, ct).ConfigureAwait(false);
            return true;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<long>?> DeleteEventAsync(string product, string type, string tag, bool force, DateTimeOffset now, CancellationToken ct) =>
        WriteAsync<IReadOnlyList<long>?>(async (c, tx) =>
        {
            await using (var exists = c.Command(tx, "SELECT 1 FROM events WHERE product = @product AND type = @type AND tag = @tag FOR UPDATE")
                .With("product", product).With("type", type).With("tag", tag))
                if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is null) return null;

            var users = new List<(long Id, string Tag)>();
            await using (var find = c.Command(tx, "SELECT id, tag FROM jobs WHERE product = @product AND event_type = @type AND event_tag = @tag ORDER BY id FOR UPDATE")
                .With("product", product).With("type", type).With("tag", tag))
            await using (var r = await find.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false)) users.Add((r.GetInt64(0), r.GetString(1)));
            }
            if (users.Count > 0 && !force)
            {
                var named = string.Join(", ", users.Take(JobTagsNamedInConflict).Select(u => u.Tag)) + (users.Count > JobTagsNamedInConflict ? ", …" : "");
                throw new ConflictException($"event '{type}/{tag}' is used by {users.Count} job(s): {named}; pass force=true to delete it and pause them");
            }
            if (users.Count > 0)
            {
                // Completed jobs stay completed; only jobs that could still fire are paused.
                var paused = await ReadIdsAsync(c.Command(tx, """
                    UPDATE jobs SET status = 'paused', updated_at = @now
                    WHERE product = @product AND event_type = @type AND event_tag = @tag AND status = 'active'
                    RETURNING id
                    """).With("product", product).With("type", type).With("tag", tag).With("now", Sql.Ms(now)), ct).ConfigureAwait(false);
                await NotifyAsync(c, tx, paused.ConvertAll(id => new ScheduleChange(id, null, Cancelled: true)), ct).ConfigureAwait(false);
            }
            await using var delete = c.Command(tx, "DELETE FROM events WHERE product = @product AND type = @type AND tag = @tag")
                .With("product", product).With("type", type).With("tag", tag);
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await CatalogChangedAsync(c, tx, product, ct).ConfigureAwait(false);
            return users.Select(u => u.Id).ToList();
        }, ct);

    /// <summary>
    /// Bumps the product's catalogue version and announces it (<see cref="CatalogNotes"/>) in the changing transaction, so
    /// every node hears of the change exactly when it commits.
    /// </summary>
    private async Task CatalogChangedAsync(NpgsqlConnection c, NpgsqlTransaction tx, string product, CancellationToken ct)
    {
        await using var cmd = c.Command(tx, """
            WITH v AS (
                INSERT INTO catalog_versions (product, version) VALUES (@product, 1)
                ON CONFLICT (product) DO UPDATE SET version = catalog_versions.version + 1
                RETURNING version)
            SELECT pg_notify(@channel, 'k:' || v.version || ':' || @product) FROM v
            """).With("product", product).With("channel", _channel);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<List<long>> ReadIdsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using (cmd)
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var ids = new List<long>();
            while (await r.ReadAsync(ct).ConfigureAwait(false)) ids.Add(r.GetInt64(0));
            return ids;
        }
    }

    private static async Task<List<EventRecord>> ReadEventsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<EventRecord>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
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

    private static async Task<List<ProductRecord>> ReadProductsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<ProductRecord>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new ProductRecord { Tag = r.GetString(0), Name = r.GetString(1), Description = r.StringOrNull(2), CreatedAt = r.At(3), UpdatedAt = r.At(4),
                MaxConcurrency = r.IsDBNull(5) ? null : r.GetInt32(5),
            });
        return list;
    }
}
