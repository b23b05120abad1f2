using Metronome.Core.Audit;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite.Internal;

namespace Metronome.Storage.Sqlite;

/// <summary>The audit log, the keys list and revocation, and secret deletion.</summary>
public sealed partial class SqliteJobStore : IAuditLog
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
        await WriteAsync((c, tx) =>
        {
            using var cmd = c.Command(tx, """
                INSERT INTO audit_log (product, at, actor, action, target, changes, reason)
                VALUES (@product, @at, @actor, @action, @target, @changes, @reason)
                """);
            foreach (var record in records)
            {
                cmd.Parameters.Clear();
                cmd.With("@product", record.Product).With("@at", Sql.Ms(record.At)).With("@actor", record.Actor).With("@action", record.Action)
                    .With("@target", record.Target).With("@changes", AuditChangesJson.Write(record.Changes)).With("@reason", record.Reason);
                cmd.ExecuteNonQuery();
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ListAuditAsync(string product, int limit, long? beforeId, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<AuditEntry>>(c =>
        {
            using var cmd = c.Command(null, """
                SELECT id, product, at, actor, action, target, changes, reason FROM audit_log
                WHERE product = @product AND (@before IS NULL OR id < @before) ORDER BY id DESC LIMIT @limit
                """).With("@product", product).With("@before", beforeId).With("@limit", limit);
            using var r = cmd.ExecuteReader();
            var list = new List<AuditEntry>();
            while (r.Read())
            {
                list.Add(new AuditEntry(r.GetInt64(0), new AuditRecord(r.GetString(1), r.GetString(3), r.GetString(4), r.GetString(5),
                    AuditChangesJson.Read(r.GetString(6)), r.At(2)) { Reason = r.StringOrNull(7) }));
            }
            return list;
        }, ct);

    /// <inheritdoc />
    public Task<IReadOnlyList<KeyEntry>> ListKeysAsync(string product, CancellationToken ct) => ReadAsync<IReadOnlyList<KeyEntry>>(c =>
    {
        using var cmd = c.Command(null, "SELECT id, created_at, last_used_at FROM product_keys WHERE product = @product ORDER BY created_at, id")
            .With("@product", product);
        using var r = cmd.ExecuteReader();
        var keys = new List<KeyEntry>();
        while (r.Read()) keys.Add(new KeyEntry(r.GetString(0), r.At(1), r.AtOrNull(2)));
        return keys;
    }, ct);

    /// <inheritdoc />
    public Task<bool> DeleteKeyAsync(string product, string id, CancellationToken ct) => WriteAsync((c, tx) =>
    {
        using var cmd = c.Command(tx, "DELETE FROM product_keys WHERE product = @product AND id = @id").With("@product", product).With("@id", id);
        return cmd.ExecuteNonQuery() == 1;
    }, ct);

    /// <inheritdoc />
    public Task MarkKeyUsedAsync(string id, DateTimeOffset at, CancellationToken ct) => WriteAsync((c, tx) =>
    {
        using var cmd = c.Command(tx, "UPDATE product_keys SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)")
            .With("@id", id).With("@at", Sql.Ms(at));
        cmd.ExecuteNonQuery();
    }, ct);

    /// <inheritdoc />
    public Task<bool> DeleteSecretAsync(string product, string name, CancellationToken ct) => WriteAsync((c, tx) =>
    {
        using var cmd = c.Command(tx, "DELETE FROM secrets WHERE product = @product AND name = @name").With("@product", product).With("@name", name);
        return cmd.ExecuteNonQuery() == 1;
    }, ct);
}
