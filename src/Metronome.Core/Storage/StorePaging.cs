using System.Globalization;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;

namespace Metronome.Core.Storage;

/// <summary>
/// The keyset paging every store shares: jobs are listed by id ascending (cursor: the last id), runs newest first (cursor:
/// the last run id; run ids strictly increase). A store reads <see cref="Take"/> rows past the cursor and hands them to
/// <see cref="Page{T}"/>, which cuts the extra row and names the next cursor.
/// </summary>
public static class StorePaging
{
    /// <summary>The id after which a job list continues (0 without a cursor). Throws a 400 naming <c>cursor</c> for any other text.</summary>
    public static long JobsAfter(JobQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Cursor is null) return 0;
        if (long.TryParse(query.Cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var after)) return after;
        throw NotOurCursor();
    }

    /// <summary>The run id before which a run list continues (null without a cursor). Throws a 400 naming <c>cursor</c> for any other text.</summary>
    public static string? RunsBefore(RunQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Cursor is null || RunIdGenerator.IsRunId(query.Cursor)) return query.Cursor;
        throw NotOurCursor();
    }

    /// <summary>Rows to read for a page of <paramref name="limit"/>: one more, which tells whether a next page exists.</summary>
    public static int Take(int limit) => Math.Max(1, limit) + 1;

    /// <summary>The page of at most <paramref name="limit"/> items of <paramref name="rows"/> (read with <see cref="Take"/>), its cursor the last item's key.</summary>
    public static PageResult<T> Page<T>(List<T> rows, int limit, Func<T, string> keyOf)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(keyOf);
        limit = Math.Max(1, limit);
        if (rows.Count <= limit) return new PageResult<T>(rows, null);
        rows.RemoveRange(limit, rows.Count - limit);
        return new PageResult<T>(rows, keyOf(rows[^1]));
    }

    /// <summary>The cursor of a job list: its last job's id.</summary>
    public static string JobKey(Job job) => job.Id.ToString(CultureInfo.InvariantCulture);

    private static ValidationFailedException NotOurCursor() => ValidationFailedException.For("cursor", "cursor is not one returned by this list.");
}
