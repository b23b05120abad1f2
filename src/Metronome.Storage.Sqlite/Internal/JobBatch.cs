using Metronome.Core.Jobs;
using Microsoft.Data.Sqlite;

namespace Metronome.Storage.Sqlite.Internal;

/// <summary>
/// The jobs touched by one batch transaction: each is read once (prepared SELECT), changed in memory as the batch's
/// items are applied, and its schedule state written once at <see cref="Flush"/> (prepared UPDATE).
/// </summary>
internal sealed class JobBatch : IDisposable
{
    private readonly SqliteCommand _select;
    private readonly SqliteParameter _selectId;
    private readonly SqliteCommand _update;
    private readonly SqliteParameter _id, _status, _done, _nextSlot, _nextDueAt, _inFlight, _lastRunAt, _lastRunStatus, _skipRunId, _skipRunNextSlot, _consecutiveFailures;
    private readonly Dictionary<long, Job?> _jobs = [];
    private readonly Dictionary<long, Job> _original = [];

    public JobBatch(SqliteConnection c, SqliteTransaction tx)
    {
        _select = c.Command(tx, $"SELECT {JobRows.Columns} FROM jobs WHERE id = @id");
        _selectId = _select.Param("@id");
        _update = c.Command(tx, """
            UPDATE jobs SET status = @status, executions_done = @executions_done, next_slot = @next_slot, next_due_at = @next_due_at,
                in_flight = @in_flight, last_run_at = @last_run_at, last_run_status = @last_run_status, skip_run_id = @skip_run_id,
                skip_run_next_slot = @skip_run_next_slot, consecutive_failures = @consecutive_failures
            WHERE id = @id
            """);
        _id = _update.Param("@id");
        _status = _update.Param("@status");
        _done = _update.Param("@executions_done");
        _nextSlot = _update.Param("@next_slot");
        _nextDueAt = _update.Param("@next_due_at");
        _inFlight = _update.Param("@in_flight");
        _lastRunAt = _update.Param("@last_run_at");
        _lastRunStatus = _update.Param("@last_run_status");
        _skipRunId = _update.Param("@skip_run_id");
        _skipRunNextSlot = _update.Param("@skip_run_next_slot");
        _consecutiveFailures = _update.Param("@consecutive_failures");
    }

    /// <summary>Jobs already loaded by a bulk query (claims read all their jobs in one SELECT).</summary>
    public void Preload(Job job)
    {
        _jobs[job.Id] = job;
        _original[job.Id] = job;
    }

    /// <summary>The job as read at the start of this batch (before its changes), or null when it was not read or does not exist.</summary>
    public Job? Original(long id) => _original.GetValueOrDefault(id);

    /// <summary>The job as changed so far in this batch, or null when it does not exist (deleted).</summary>
    public Job? Get(long id)
    {
        if (_jobs.TryGetValue(id, out var job)) return job;
        _selectId.Value = id;
        job = JobRows.ReadSingle(_select);
        _jobs[id] = job;
        if (job is not null) _original[id] = job;
        return job;
    }

    /// <summary>Records that the jobs a bulk query did not return do not exist, so <see cref="Get"/> does not look again.</summary>
    public void PreloadMissing(IEnumerable<long> ids)
    {
        foreach (var id in ids) _jobs.TryAdd(id, null);
    }

    public void Set(Job job) => _jobs[job.Id] = job;

    /// <summary>Writes the schedule state of every job that changed. Returns the jobs as written.</summary>
    public IReadOnlyList<Job> Flush()
    {
        var written = new List<Job>();
        foreach (var (id, job) in _jobs)
        {
            if (job is null || job.Equals(_original[id])) continue;
            _id.Value = id;
            _status.Value = job.Status.ToWire();
            _done.Value = job.ExecutionsDone;
            _nextSlot.Value = job.NextSlot;
            _nextDueAt.Value = Sql.Ms(job.NextDueAt);
            _inFlight.Value = job.InFlight;
            _lastRunAt.Set(Sql.Ms(job.LastRunAt));
            _lastRunStatus.Set(job.LastRunStatus);
            _skipRunId.Set(job.SkipRunId);
            _skipRunNextSlot.Value = job.SkipRunNextSlot;
            _consecutiveFailures.Value = job.ConsecutiveFailures;
            _update.ExecuteNonQuery();
            written.Add(job);
        }
        return written;
    }

    public void Dispose()
    {
        _select.Dispose();
        _update.Dispose();
    }
}
