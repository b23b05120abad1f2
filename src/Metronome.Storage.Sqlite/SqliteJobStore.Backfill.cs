using Metronome.Core.Execution;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite.Internal;
using Microsoft.Data.Sqlite;

namespace Metronome.Storage.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One write transaction (SQLite has one writer, so the job's next slot cannot move meanwhile): the slots already held are
    /// read through the unique (job_id, slot) index, and the unique index refuses a slot queued twice.
    /// </remarks>
    public Task<BackfillResult> BackfillJobAsync(BackfillParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync((c, tx) =>
        {
            var job = FindJob(c, tx, p.Product, p.Tag) ?? throw JobNotFound(p.Product, p.Tag);
            var plan = BackfillLedger.Plan(job, p.From, p.To, p.Now);
            if (plan.Slots.Count == 0) return new BackfillResult(job.Id, 0, 0);
            var recorded = new List<RecordedSlots>();
            // A skipped run stands for skipped_count slots from its own: one starting before the range may reach into it.
            using (var select = c.Command(tx, """
                SELECT slot, skipped_count FROM runs
                WHERE job_id = @job AND slot > 0 AND slot <= @last AND slot + max(skipped_count, 1) > @first
                """).With("@job", job.Id).With("@first", plan.Slots[0].Slot).With("@last", plan.Slots[^1].Slot))
            using (var r = select.ExecuteReader())
            {
                while (r.Read()) recorded.Add(new RecordedSlots(r.GetInt64(0), r.GetInt64(1)));
            }
            var queued = BackfillLedger.Queue(job, plan, recorded, _runIds.Next);
            using (var insert = new RunInserter(c, tx))
                foreach (var run in queued) insert.Insert(run, job.Retries.MaxAttempts);
            return new BackfillResult(job.Id, queued.Count, plan.Slots.Count);
        }, ct);
    }

    /// <inheritdoc />
    /// <remarks>A read first (queued runs are <c>running</c> with no node, found through the running-runs index), so a
    /// node with nothing queued takes no write lock.</remarks>
    public async Task<IReadOnlyList<ClaimedRun>> ClaimBackfillRunsAsync(BackfillClaimParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        var any = await ReadAsync(c =>
        {
            using var cmd = c.Command(null, "SELECT 1 FROM runs WHERE status = 'running' AND node IS NULL LIMIT 1");
            return cmd.ExecuteScalar() is not null;
        }, ct);
        if (!any) return [];
        return await WriteAsync<IReadOnlyList<ClaimedRun>>((c, tx) =>
        {
            var jobIds = new List<long>();
            using (var select = c.Command(tx, "SELECT DISTINCT job_id FROM runs WHERE status = 'running' AND node IS NULL LIMIT @max")
                .With("@max", p.MaxJobs))
            using (var r = select.ExecuteReader())
            {
                while (r.Read()) jobIds.Add(r.GetInt64(0));
            }
            using var jobs = new JobBatch(c, tx);
            using var queuedOf = c.Command(tx, $"""
                SELECT {RunRows.Columns()} FROM runs WHERE job_id = @job AND status = 'running' AND node IS NULL ORDER BY slot LIMIT @n
                """);
            var (qJob, qN) = (queuedOf.Param("@job"), queuedOf.Param("@n"));
            using var take = c.Command(tx, "UPDATE runs SET node = @node, started_at = @at WHERE id = @id AND node IS NULL")
                .With("@node", p.Node).With("@at", Sql.Ms(p.Now));
            var takeId = take.Param("@id");
            var start = new List<ClaimedRun>();
            foreach (var id in jobIds)
            {
                var job = jobs.Get(id);
                var queued = new List<Run>();
                qJob.Value = id;
                qN.Value = job is null ? 1 : BackfillLedger.Bound(job);
                using (var r = queuedOf.ExecuteReader())
                    while (r.Read()) queued.Add(RunRows.Read(r));
                var claim = BackfillLedger.Claim(job, queued, p.Node, p.Now);
                if (claim.JobGone)
                {
                    AbandonQueued(c, tx, id, p.Now);
                    continue;
                }
                foreach (var claimed in claim.Start)
                {
                    takeId.Value = claimed.Run.Id;
                    take.ExecuteNonQuery();
                }
                if (claim.Next is { } next) jobs.Set(next);
                start.AddRange(claim.Start);
            }
            jobs.Flush();
            return start;
        }, ct);
    }

    private static void AbandonQueued(SqliteConnection c, SqliteTransaction tx, long jobId, DateTimeOffset now)
    {
        using var abandon = c.Command(tx, """
            UPDATE runs SET status = 'abandoned', finished_at = @at, error_kind = @kind, error_message = @message
            WHERE job_id = @job AND status = 'running' AND node IS NULL
            """).With("@job", jobId).With("@at", Sql.Ms(now)).With("@kind", ErrorKinds.Abandoned).With("@message", BackfillLedger.JobDeletedMessage);
        abandon.ExecuteNonQuery();
    }
}
