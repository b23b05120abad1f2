using System.Globalization;
using System.Text;
using Metronome.Core.Storage;

namespace Metronome.Core.Audit;

/// <summary>
/// Reads a product's audit log a page at a time, newest first, for the REST API and embedded hosts. The cursor is opaque
/// (the last entry's number, encoded); a store without a log (<see cref="IAuditLog"/>) lists nothing.
/// </summary>
public sealed class AuditLogService
{
    /// <summary>Entries per page when the caller gives no limit.</summary>
    public const int DefaultLimit = 50;

    /// <summary>The largest page.</summary>
    public const int MaxLimit = 500;

    private const string CursorPrefix = "audit:";
    private readonly ICatalogStore _catalog;
    private readonly IAuditLog? _log;

    internal AuditLogService(ICatalogStore catalog, IAuditLog? log) => (_catalog, _log) = (catalog, log);

    /// <summary>
    /// One page of the product's log, newest first. Throws <see cref="ValidationFailedException"/> naming <c>limit</c>
    /// (1–<see cref="MaxLimit"/>) or <c>cursor</c> (not one this list returned), <see cref="NotFoundException"/> for an unknown product.
    /// </summary>
    public async Task<PageResult<AuditRecord>> ListAsync(string product, int? limit, string? cursor, CancellationToken ct = default)
    {
        var e = new ValidationErrors();
        int take = limit ?? DefaultLimit;
        if (take is < 1 or > MaxLimit) e.Add("limit", $"limit must be between 1 and {MaxLimit}.");
        long? before = null;
        if (cursor is not null && (before = DecodeCursor(cursor)) is null) e.Add("cursor", "cursor is not one returned by this list.");
        e.ThrowIfAny();
        if (await _catalog.GetProductAsync(product, ct).ConfigureAwait(false) is null) throw new NotFoundException($"product '{product}' not found");
        if (_log is null) return new PageResult<AuditRecord>([], null);
        var rows = await _log.ListAuditAsync(product, StorePaging.Take(take), before, ct).ConfigureAwait(false);
        var page = StorePaging.Page(rows.ToList(), take, r => EncodeCursor(r.Id));
        return new PageResult<AuditRecord>(page.Items.Select(r => r.Record).ToList(), page.NextCursor);
    }

    private static string EncodeCursor(long id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(CursorPrefix + id.ToString(CultureInfo.InvariantCulture))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static long? DecodeCursor(string cursor)
    {
        try
        {
            var b64 = cursor.Replace('-', '+').Replace('_', '/');
            b64 += new string('=', (4 - b64.Length % 4) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(b64));
            return text.StartsWith(CursorPrefix, StringComparison.Ordinal)
                && long.TryParse(text.AsSpan(CursorPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
