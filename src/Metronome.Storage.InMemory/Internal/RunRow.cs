using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Storage.InMemory.Internal;

/// <summary>
/// A stored run with the columns the record does not carry (pending retry, attempt limit). A final outcome is kept as the
/// completion the engine reported and folded into a new <see cref="Run"/> record only when the run is read (runs are
/// written far more often than they are read; a busy engine finishes hundreds of thousands per second).
/// </summary>
internal sealed class RunRow(Run run, int maxAttempts, RunHistory history)
{
    private Run _run = run;
    private RunCompletion? _finish;

    public Run Run
    {
        get
        {
            if (_finish is { } done)
            {
                _run = _run with
                {
                    Status = done.Status, StartedAt = done.StartedAt, FinishedAt = done.FinishedAt, ErrorMessage = done.ErrorMessage,
                    ErrorKind = done.ErrorKind, OutputJson = done.OutputJson,
                };
                _finish = null;
            }
            return _run;
        }
        set
        {
            _run = value;
            _finish = null;
        }
    }

    public RunHistory History { get; } = history;
    public string Id => _run.Id;
    public string Product => _run.Product;
    public string JobTag => _run.JobTag;
    public RunStatus Status => _finish?.Status ?? _run.Status;
    public DateTimeOffset? RetryAt { get; set; }
    public int MaxAttempts { get; } = maxAttempts;

    /// <summary>Records a final outcome (the caller holds the store's lock and checked the run is running).</summary>
    public void Finish(RunCompletion done)
    {
        _finish = done;
        RetryAt = null;
    }
}

/// <summary>
/// The runs of one (product, job tag), ordered by id (ids increase with time, so appends keep the order); runs outlive
/// their job and a recreated job with the same tag shares the history, as in the SQL stores.
/// </summary>
internal sealed class RunHistory(string product, string jobTag)
{
    public string Product { get; } = product;
    public string JobTag { get; } = jobTag;

    public List<RunRow> Rows { get; } = [];

    public void Add(RunRow row)
    {
        if (Rows.Count == 0 || string.CompareOrdinal(Rows[^1].Id, row.Id) < 0)
        {
            Rows.Add(row);
            return;
        }
        int lo = 0, hi = Rows.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (string.CompareOrdinal(Rows[mid].Id, row.Id) < 0) lo = mid + 1; else hi = mid;
        }
        Rows.Insert(lo, row);
    }

    /// <summary>Drops the oldest finished runs beyond <paramref name="keep"/>, removing each from <paramref name="byId"/> too.</summary>
    public void Trim(int keep, Dictionary<string, RunRow> byId)
    {
        int excess = Rows.Count - keep;
        for (int i = 0; excess > 0 && i < Rows.Count;)
        {
            var row = Rows[i];
            if (row.Status == RunStatus.Running)
            {
                i++;
                continue;
            }
            Rows.RemoveAt(i);
            byId.Remove(row.Id);
            excess--;
        }
    }
}
