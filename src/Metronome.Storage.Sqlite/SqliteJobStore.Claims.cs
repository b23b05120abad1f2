using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite.Internal;

namespace Metronome.Storage.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One write transaction for the whole batch: one SELECT of every asked job, then prepared INSERTs (one per slot)
    /// and UPDATEs (one per advanced job) re-bound per row. The unique index on (job_id, slot) is the last line of
    /// defence: a duplicate slot is a bug and fails the batch.
    /// </remarks>
    public Task<ClaimResult> ClaimDueSlotsAsync(ClaimParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.JobIds.Count == 0) return Task.FromResult(new ClaimResult([], [], []));
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
            var runs = new List<ClaimedRun>();
            var schedule = new List<ScheduleEntry>(ids.Count);
            var blocked = new List<long>();
            foreach (var id in ids)
            {
                var job = jobs.Get(id);
                if (job is null || job.Status != JobStatus.Active)
                {
                    schedule.Add(new ScheduleEntry(id, null));
                    continue;
                }

                var plan = SlotPlanner.Plan(job, p.Horizon, p.MisfireThreshold, p.MaxSlotsPerJob);
                foreach (var slot in plan.Slots)
                {
                    var run = slot.Skipped ? ClaimRecords.Skipped(job, slot, _runIds.Next(), p.Node, p.Now) : ClaimRecords.Fired(job, slot, _runIds.Next(), p.Node);
                    insert.Insert(run, job.Retries.MaxAttempts);
                    if (!slot.Skipped) runs.Add(ClaimRecords.ToClaimed(job, run, slot.ScheduledAt));
                }
                jobs.Set(plan.Next);
                schedule.Add(new ScheduleEntry(id, plan.Blocked ? null : plan.Next.ScheduledDueAt));
                if (plan.Blocked) blocked.Add(id);
            }
            jobs.Flush();
            return new ClaimResult(runs, schedule, blocked);
        }, urgent: true, ct);
    }

}
