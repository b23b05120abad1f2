using System.Runtime.CompilerServices;

namespace Metronome.Contracts;

/// <summary>
/// Walks a cursor-paged listing (<see cref="Page{T}"/>): the one loop behind every "all pages" call of the SDK, the
/// embedded <see cref="IMetronome"/> and the CLI, so that the cursor rule (follow <see cref="Page{T}.NextCursor"/> until
/// it is null) lives in one place.
/// </summary>
public static class Paging
{
    /// <summary>The largest page a listing accepts (<c>limit</c> is 1–1000).</summary>
    public const int MaxLimit = 1000;

    /// <summary>Every item of every page, fetched one page after the other from the first (<c>cursor</c> null).</summary>
    /// <param name="fetchPage">Fetches the page at a cursor.</param>
    public static async Task<IReadOnlyList<T>> AllAsync<T>(Func<string?, Task<Page<T>>> fetchPage)
    {
        ArgumentNullException.ThrowIfNull(fetchPage);
        var all = new List<T>();
        string? cursor = null;
        do
        {
            var page = await fetchPage(cursor).ConfigureAwait(false);
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        } while (cursor is not null);
        return all;
    }

    /// <summary>Every item of every page, fetching the next page only when the enumeration reaches it.</summary>
    /// <param name="fetchPage">Fetches the page at a cursor, honouring the token it is given.</param>
    /// <param name="ct">Cancels the enumeration (combined with the one given to <c>WithCancellation</c>).</param>
    public static async IAsyncEnumerable<T> EachAsync<T>(Func<string?, CancellationToken, Task<Page<T>>> fetchPage,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(fetchPage);
        string? cursor = null;
        do
        {
            var page = await fetchPage(cursor, ct).ConfigureAwait(false);
            foreach (var item in page.Items) yield return item;
            cursor = page.NextCursor;
        } while (cursor is not null);
    }
}
