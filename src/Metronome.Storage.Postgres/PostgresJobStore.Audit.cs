using Metronome.Core.Audit;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;
using NpgsqlTypes;

namespace Metronome.Storage.Postgres;

/// <summary>The audit log, the keys list and revocation, and secret deletion.</summary>
public sealed partial class PostgresJobStore : IAuditLog
{
    /// <inheritdoc />
    public ValueTask RecordAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return RecordBatchAsync([record], cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask RecordBatchAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) return;
        await WriteAsync(async (c, tx) =>
        {
            foreach (var record in records)
            {
                await using var cmd = c.Command(tx, """
                    INSERT INTO audit_log (product, at, actor, action, target, changes, reason)
                    VALUES (@product, @at, @actor, @action, @target, @changes, @reason)
                    """).With("product", record.Product).With("at", Sql.Ms(record.At)).With("actor", record.Actor).With("action", record.Action)
                    .With("target", record.Target).With("changes", AuditChangesJson.Write(record.Changes)).With("reason", record.Reason);
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ListAuditAsync(string product, int limit, long? beforeId, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<AuditEntry>>(async c =>
        {
            await using var cmd = c.Command(null, """
                SELECT id, product, at, actor, action, target, changes, reason FROM audit_log
                WHERE product = @product AND (@before IS NULL OR id < @before) ORDER BY id DESC LIMIT @limit
                """).With("product", product).With("before", beforeId).With("limit", limit, NpgsqlDbType.Integer);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<AuditEntry>();
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new AuditEntry(r.GetInt64(0), new AuditRecord(r.GetString(1), r.GetString(3), r.GetString(4), r.GetString(5),
                    AuditChangesJson.Read(r.GetString(6)), r.At(2)) { Reason = r.StringOrNull(7) }));
            }
            return list;
        }, ct);

    /// <inheritdoc />
    public Task<IReadOnlyList<KeyEntry>> ListKeysAsync(string product, CancellationToken ct) => ReadAsync<IReadOnlyList<KeyEntry>>(async c =>
    {
        await using var cmd = c.Command(null, "SELECT id, created_at, last_used_at FROM product_keys WHERE product = @product ORDER BY created_at, id")
            .With("product", product);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var keys = new List<KeyEntry>();
        while (await r.ReadAsync(ct).ConfigureAwait(false)) keys.Add(new KeyEntry(r.GetString(0), r.At(1), r.AtOrNull(2)));
        return keys;
    }, ct);

    /// <inheritdoc />
    /// <remarks>Announced in the deleting transaction (the catalogue change feed): every node drops its cached answer for the key at commit.</remarks>
    public Task<bool> DeleteKeyAsync(string product, string id, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await using var cmd = c.Command(tx, "DELETE FROM product_keys WHERE product = @product AND id = @id").With("product", product).With("id", id);
        if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1) return false;
        await CatalogChangedAsync(c, tx, product, ct).ConfigureAwait(false);
        return true;
    }, ct);

    /// <inheritdoc />
    public Task MarkKeyUsedAsync(string id, DateTimeOffset at, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await using var cmd = c.Command(tx, "UPDATE product_keys SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)")
            .With("id", id).With("at", Sql.Ms(at));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }, ct);

    /// <inheritdoc />
    public Task<bool> DeleteSecretAsync(string product, string name, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await using var cmd = c.Command(tx, "DELETE FROM secrets WHERE product = @product AND name = @name").With("product", product).With("name", name);
        if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1) return false;
        await CatalogChangedAsync(c, tx, product, ct).ConfigureAwait(false);
        return true;
    }, ct);
}
