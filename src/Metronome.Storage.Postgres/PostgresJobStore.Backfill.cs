using Metronome.Core.Execution;
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
    /// The job row is locked (<c>FOR UPDATE</c>) as a claim locks it, so its next slot cannot move while the slots below it are
    /// queued; the unique (job_id, slot) index refuses a slot queued twice by racing calls on two nodes (the loser's call fails
    /// and, repeated, queues nothing).
    /// </remarks>
    public Task<BackfillResult> BackfillJobAsync(BackfillParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(async (c, tx) =>
        {
            var job = await FindJobAsync(c, tx, p.Product, p.Tag, ct, forUpdate: true).ConfigureAwait(false) ?? throw JobNotFound(p.Product, p.Tag);
            var plan = BackfillLedger.Plan(job, p.From, p.To, p.Now);
            if (plan.Slots.Count == 0) return new BackfillResult(job.Id, 0, 0);
            var recorded = new List<RecordedSlots>();
            // A skipped run stands for skipped_count slots from its own: one starting before the range may reach into it.
            await using (var select = c.Command(tx, """
                SELECT slot, skipped_count FROM runs
                WHERE job_id = @job AND slot > 0 AND slot <= @last AND slot + greatest(skipped_count, 1) > @first
                """).With("job", job.Id).With("first", plan.Slots[0].Slot).With("last", plan.Slots[^1].Slot))
            await using (var r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false)) recorded.Add(new RecordedSlots(r.GetInt64(0), r.GetInt64(1)));
            }
            var queued = BackfillLedger.Queue(job, plan, recorded, _runIds.Next);
            var writes = new BatchWrites(_channel);
            foreach (var run in queued) writes.InsertRun(run, job.Retries.MaxAttempts);
            await writes.ExecuteAsync(c, tx, ct).ConfigureAwait(false);
            return new BackfillResult(job.Id, queued.Count, plan.Slots.Count);
        }, ct);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Every node polls: a read first (queued runs are <c>running</c> with no node), then one transaction that locks the jobs
    /// in id order (as every writer does) and takes their lowest queued slots. Two nodes claiming the same job serialize on its
    /// row; the second sees the first's in-flight count and taken runs, so a slot is claimed once and a job's bound holds
    /// across the cluster.
    /// </remarks>
    public async Task<IReadOnlyList<ClaimedRun>> ClaimBackfillRunsAsync(BackfillClaimParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        var any = await ReadAsync(async c =>
        {
            await using var cmd = c.Command(null, "SELECT 1 FROM runs WHERE status = 'running' AND node IS NULL LIMIT 1");
            return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
        }, ct).ConfigureAwait(false);
        if (!any) return [];
        return await WriteAsync<IReadOnlyList<ClaimedRun>>(async (c, tx) =>
        {
            var jobIds = new List<long>();
            await using (var select = c.Command(tx, "SELECT DISTINCT job_id FROM runs WHERE status = 'running' AND node IS NULL LIMIT @max")
                .With("max", (long)p.MaxJobs))
            await using (var r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false)) jobIds.Add(r.GetInt64(0));
            }
            if (jobIds.Count == 0) return [];
            var jobs = await JobRows.LockAsync(c, tx, jobIds, ct).ConfigureAwait(false);
            var writes = new BatchWrites(_channel);
            var start = new List<ClaimedRun>();
            var gone = new List<long>();
            foreach (var id in jobIds.Order())
            {
                var job = jobs.GetValueOrDefault(id);
                await using var queuedOf = c.Command(tx, $"""
                    SELECT {RunRows.Columns} FROM runs WHERE job_id = @job AND status = 'running' AND node IS NULL ORDER BY slot LIMIT @n
                    """).With("job", id).With("n", (long)(job is null ? 1 : BackfillLedger.Bound(job)));
                var queued = await RunRows.ReadAllAsync(queuedOf, ct).ConfigureAwait(false);
                var claim = BackfillLedger.Claim(job, queued, p.Node, p.Now);
                if (claim.JobGone) gone.Add(id);
                if (claim.Next is { } next) writes.UpdateJob(next);
                start.AddRange(claim.Start);
            }
            if (start.Count > 0)
            {
                await using var take = c.Command(tx, "UPDATE runs SET node = @node, started_at = @at WHERE id = ANY(@ids) AND node IS NULL")
                    .With("node", p.Node).With("at", Sql.Ms(p.Now)).With("ids", start.Select(s => s.Run.Id).ToArray(), Sql.Array(NpgsqlDbType.Text));
                await take.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            if (gone.Count > 0) await AbandonQueuedAsync(c, tx, gone, p.Now, ct).ConfigureAwait(false);
            await writes.ExecuteAsync(c, tx, ct).ConfigureAwait(false);
            return start;
        }, ct).ConfigureAwait(false);
    }

    private static async Task AbandonQueuedAsync(NpgsqlConnection c, NpgsqlTransaction tx, List<long> jobIds, DateTimeOffset now, CancellationToken ct)
    {
        await using var abandon = c.Command(tx, """
            UPDATE runs SET status = 'abandoned', finished_at = @at, error_kind = @kind, error_message = @message
            WHERE job_id = ANY(@jobs) AND status = 'running' AND node IS NULL
            """).With("jobs", jobIds.ToArray(), Sql.Array(NpgsqlDbType.Bigint)).With("at", Sql.Ms(now)).With("kind", ErrorKinds.Abandoned)
            .With("message", BackfillLedger.JobDeletedMessage);
        await abandon.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
