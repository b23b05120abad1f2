using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite.Internal;

namespace Metronome.Storage.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One write transaction for the whole batch: one SELECT of every asked job, then prepared INSERTs (one per fired slot or
    /// new skipped run), UPDATEs of open skipped runs the claim extends, and UPDATEs (one per advanced job) re-bound per row. The unique index on (job_id, slot) is the last line of
    /// defence: a duplicate slot is a bug and fails the batch.
    /// </remarks>
    public Task<ClaimResult> ClaimDueSlotsAsync(ClaimParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.JobIds.Count == 0) return Task.FromResult(new ClaimResult([], []));
        var ids = p.JobIds.Distinct().ToList();
        var idsJson = "[" + string.Join(",", ids) + "]";

        return WriteAsync((c, tx) =>
        {
            using var jobs = new JobBatch(c, tx);
            using (var select = c.Command(tx, $"SELECT {JobRows.Columns} FROM jobs WHERE id IN (SELECT value FROM json_each(@ids))")
                .With("@ids", idsJson))
            using (var r = select.ExecuteReader())
            {
                while (r.Read()) jobs.Preload(JobRows.Read(r));
            }
            jobs.PreloadMissing(ids);

            using var insert = new RunInserter(c, tx);
            using var extend = c.Command(tx, "UPDATE runs SET skipped_count = skipped_count + @n, finished_at = @at WHERE id = @id");
            var (extendId, extendCount, extendAt) = (extend.Param("@id"), extend.Param("@n"), extend.Param("@at"));
            var runs = new List<ClaimedRun>();
            var schedule = new List<ScheduleEntry>(ids.Count);
            Func<string> newRunId = _runIds.Next;
            foreach (var id in ids)
            {
                var job = jobs.Get(id);
                var claim = JobLedger.Claim(id, job, p, newRunId);
                foreach (var claimed in claim.Runs) insert.Insert(claimed.Run, job!.Retries.MaxAttempts);
                foreach (var run in claim.Skipped) insert.Insert(run, job!.Retries.MaxAttempts);
                if (claim.Extended is { } more)
                {
                    (extendId.Value, extendCount.Value, extendAt.Value) = (more.RunId, more.Count, Sql.Ms(more.At));
                    extend.ExecuteNonQuery();
                }
                runs.AddRange(claim.Runs);
                if (claim.Next is { } next) jobs.Set(next);
                schedule.Add(claim.Entry);
            }
            jobs.Flush();
            return new ClaimResult(runs, schedule);
        }, urgent: true, ct);
    }

}
