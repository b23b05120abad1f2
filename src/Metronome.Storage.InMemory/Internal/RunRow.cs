using Metronome.Core.Runs;

namespace Metronome.Storage.InMemory.Internal;

/// <summary>A stored run with the columns the record does not carry (pending retry, attempt limit).</summary>
internal sealed class RunRow(Run run, int maxAttempts)
{
    public Run Run { get; set; } = run;
    public DateTimeOffset? RetryAt { get; set; }
    public int MaxAttempts { get; } = maxAttempts;
}

/// <summary>
/// The runs of one (product, job tag), ordered by id (ids increase with time, so appends keep the order); runs outlive
/// their job and a recreated job with the same tag shares the history, as in the SQL stores.
/// </summary>
internal sealed class RunHistory
{
    public List<RunRow> Rows { get; } = [];

    public void Add(RunRow row)
    {
        if (Rows.Count == 0 || string.CompareOrdinal(Rows[^1].Run.Id, row.Run.Id) < 0)
        {
            Rows.Add(row);
            return;
        }
        int lo = 0, hi = Rows.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (string.CompareOrdinal(Rows[mid].Run.Id, row.Run.Id) < 0) lo = mid + 1; else hi = mid;
        }
        Rows.Insert(lo, row);
    }

    /// <summary>Drops the oldest finished runs beyond <paramref name="keep"/>; returns the dropped rows.</summary>
    public List<RunRow> Trim(int keep)
    {
        var dropped = new List<RunRow>();
        int excess = Rows.Count - keep;
        if (excess <= 0) return dropped;
        Rows.RemoveAll(r =>
        {
            if (dropped.Count >= excess || r.Run.Status == RunStatus.Running) return false;
            dropped.Add(r);
            return true;
        });
        return dropped;
    }
}
