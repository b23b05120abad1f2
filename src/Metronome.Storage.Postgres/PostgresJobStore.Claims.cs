using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;
using Npgsql;
using NpgsqlTypes;

namespace Metronome.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// The cluster's claim protocol. Every node holds every job in its due queue and races for it; this transaction decides:
    /// <list type="number">
    /// <item>one round trip reads the database clock and locks the asked jobs that are due
    /// (<c>FOR UPDATE SKIP LOCKED</c>, in id order): a job another node is claiming right now is skipped, not waited for;</item>
    /// <item><see cref="SlotPlanner.Plan"/> runs per locked job at the horizon (database now + the caller's look-ahead);</item>
    /// <item>one round trip inserts every run (one array INSERT) and advances every job (one array UPDATE).</item>
    /// </list>
    /// Jobs not locked are answered with their fresh due time: not yet due (another node claimed them first), gone, or being
    /// claimed elsewhere, in which case the caller is told to look again just after its horizon. The unique index on
    /// (product, job, slot) is the last line of defence: a duplicate slot is a bug and fails the whole batch.
    /// </remarks>
    public Task<ClaimResult> ClaimDueSlotsAsync(ClaimParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.JobIds.Count == 0) return Task.FromResult(new ClaimResult([], [], []));
        var asked = p.JobIds.Distinct().ToList(); // answered in the order asked, like every store
        var ids = asked.Order().ToArray();

        return WriteAsync(async (c, tx) =>
        {
            DateTimeOffset horizon;
            var due = new Dictionary<long, Job>();
            await using (var batch = new NpgsqlBatch(c, tx))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT metronome_now_ms()"));
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
                    SELECT {JobRows.Columns} FROM jobs
                    WHERE id = ANY(@ids) AND status = 'active' AND next_due_at <= CASE WHEN @db_clock THEN metronome_now_ms() + @lookahead ELSE @horizon END
                    ORDER BY id FOR UPDATE SKIP LOCKED
                    """)
                    .With("ids", ids, Sql.Array(NpgsqlDbType.Bigint))
                    .With("db_clock", _options.UseDatabaseClock, NpgsqlDbType.Boolean)
                    .With("lookahead", (long)(p.Horizon - p.Now).TotalMilliseconds, NpgsqlDbType.Bigint)
                    .With("horizon", Sql.Ms(p.Horizon), NpgsqlDbType.Bigint));
                await using var r = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await r.ReadAsync(ct).ConfigureAwait(false);
                var dbNow = Sql.At(r.GetInt64(0));
                horizon = _options.UseDatabaseClock ? dbNow + (p.Horizon - p.Now) : p.Horizon;
                await r.NextResultAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    var job = JobRows.Read(r);
                    due[job.Id] = job;
                }
            }

            var writes = new BatchWrites(_channel);
            var runs = new List<ClaimedRun>();
            var schedule = new Dictionary<long, ScheduleEntry>(ids.Length);
            var blocked = new List<long>();
            foreach (var id in asked)
            {
                if (!due.TryGetValue(id, out var job)) continue;
                var plan = SlotPlanner.Plan(job, horizon, p.MisfireThreshold, p.MaxSlotsPerJob);
                foreach (var slot in plan.Slots)
                {
                    var run = slot.Skipped ? SkippedRun(job, slot, p, horizon - (p.Horizon - p.Now)) : FiredRun(job, slot, p);
                    writes.InsertRun(run, job.Retries.MaxAttempts);
                    if (!slot.Skipped) runs.Add(ToClaimed(job, run, slot.ScheduledAt));
                }
                if (!plan.Next.Equals(job)) writes.UpdateJob(plan.Next);
                schedule[id] = new ScheduleEntry(job.Id, plan.Blocked ? null : plan.Next.ScheduledDueAt);
                if (plan.Blocked) blocked.Add(job.Id);
            }
            await writes.ExecuteAsync(c, tx, ct).ConfigureAwait(false);

            var others = ids.Where(id => !due.ContainsKey(id)).ToArray();
            if (others.Length > 0)
                foreach (var entry in await CurrentScheduleAsync(c, tx, others, horizon, ct).ConfigureAwait(false))
                    schedule[entry.JobId] = entry;
            return new ClaimResult(runs, asked.ConvertAll(id => schedule[id]), blocked);
        }, ct, committed: (result, c, token) => RunsWrittenAsync(c, result.Runs.Select(r => r.Run.Id), p.Node, token));
    }

    /// <summary>
    /// Due times of jobs the claim did not lock. A job still due by the horizon is being claimed by another node: the caller
    /// looks again just after its horizon, when that claim has committed (rather than spinning on the lock).
    /// </summary>
    private static async Task<List<ScheduleEntry>> CurrentScheduleAsync(NpgsqlConnection c, NpgsqlTransaction tx, long[] ids, DateTimeOffset horizon,
        CancellationToken ct)
    {
        var found = new Dictionary<long, DateTimeOffset?>();
        await using (var cmd = c.Command(tx, """
            SELECT id, CASE WHEN status = 'active' AND (executions = 0 OR executions_done < executions) THEN next_due_at END
            FROM jobs WHERE id = ANY(@ids)
            """).With("ids", ids, Sql.Array(NpgsqlDbType.Bigint)))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false)) found[r.GetInt64(0)] = r.AtOrNull(1);
        }
        var entries = new List<ScheduleEntry>(ids.Length);
        foreach (var id in ids)
        {
            var dueAt = found.GetValueOrDefault(id);
            if (dueAt is { } at && at <= horizon) dueAt = horizon + TimeSpan.FromMilliseconds(1);
            entries.Add(new ScheduleEntry(id, dueAt));
        }
        return entries;
    }

    private Run FiredRun(Job job, PlannedSlot slot, ClaimParams p) => new()
    {
        Id = _runIds.Next(),
        JobId = job.Id,
        Product = job.Product,
        JobTag = job.Tag,
        Slot = slot.Slot,
        Attempt = 1,
        ScheduledAt = slot.ScheduledAt,
        StartedAt = slot.ScheduledAt, // an estimate until the attempt reports its real start
        Node = p.Node,
        Status = RunStatus.Running,
    };

    private Run SkippedRun(Job job, PlannedSlot slot, ClaimParams p, DateTimeOffset now) => new()
    {
        Id = _runIds.Next(),
        JobId = job.Id,
        Product = job.Product,
        JobTag = job.Tag,
        Slot = slot.Slot,
        Attempt = 0,
        ScheduledAt = slot.ScheduledAt,
        StartedAt = now,
        FinishedAt = now,
        Node = p.Node,
        Status = RunStatus.Skipped,
        ErrorMessage = "the previous execution was still running (overlap: skip)",
        ErrorKind = "overlap",
    };

    private static ClaimedRun ToClaimed(Job job, Run run, DateTimeOffset runAt) => new()
    {
        Run = run,
        JobName = job.Name,
        EventType = job.EventType,
        EventTag = job.EventTag,
        InputJson = job.InputJson,
        TimeoutMs = job.TimeoutMs,
        Retries = job.Retries,
        RunAt = runAt,
    };
}
