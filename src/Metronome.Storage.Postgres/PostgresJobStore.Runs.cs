using Metronome.Core;
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
    /// The orphans are locked with <c>FOR UPDATE SKIP LOCKED</c>: a run another node is finishing or recovering right now is
    /// left to it. Jobs whose in-flight count drops to zero are announced (NOTIFY), so a job waiting on the dead node's
    /// execution (overlap <c>queue</c>) is picked up again by some node.
    /// </remarks>
    public Task<RecoverResult> RecoverRunsAsync(RecoverParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(async (c, tx) =>
        {
            var orphans = new List<Orphan>();
            await using (var select = c.Command(tx, $"""
                SELECT {RunRows.Columns} FROM runs
                WHERE status = 'running' AND node IS NOT NULL AND (@owners IS NULL OR node = ANY(@owners))
                ORDER BY id FOR UPDATE SKIP LOCKED
                """).With("owners", p.OwnerNodes?.ToArray(), Sql.Array(NpgsqlDbType.Text)))
            await using (var r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                    orphans.Add(new Orphan(RunRows.Read(r), r.AtOrNull(RunRows.RetryAtOrdinal), r.GetInt32(RunRows.MaxAttemptsOrdinal)));
            }
            if (orphans.Count == 0) return new RecoverResult([], 0);

            var jobs = await JobRows.LockAsync(c, tx, orphans.Select(o => o.Run.JobId), ct).ConfigureAwait(false);
            var abandonedRuns = new List<Run>();
            var resume = new List<ClaimedRun>();
            var writes = new BatchWrites(_channel);
            var released = new HashSet<long>();
            var paused = new List<Core.Jobs.Job>();
            foreach (var orphan in orphans)
            {
                var before = jobs.GetValueOrDefault(orphan.Run.JobId);
                var decision = JobLedger.Recover(orphan, before, p.Node, p.Now);
                if (decision.Resume is { } resumed)
                {
                    resume.Add(resumed);
                    continue;
                }
                abandonedRuns.Add(decision.Abandoned!);
                if (decision.Job is not { } job) continue;
                if (job.Status == Core.Jobs.JobStatus.Paused && before?.Status == Core.Jobs.JobStatus.Active) paused.Add(job);
                jobs[job.Id] = job;
                writes.UpdateJob(job);
                released.Add(job.Id);
            }
            foreach (var id in released)
                if (jobs[id] is { InFlight: 0 } job) writes.Notify(ScheduleNotes.Of(job));

            await using (var batch = new NpgsqlBatch(c, tx))
            {
                if (resume.Count > 0)
                    batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                        UPDATE runs SET attempt = u.attempt, node = @node,
                            attempts = CASE WHEN u.attempt > runs.attempt THEN COALESCE(runs.attempts, '[]'::jsonb) || jsonb_build_object(
                                'attempt', runs.attempt, 'started_at', runs.started_at, 'finished_at', @now::bigint, 'status', 'abandoned',
                                'error_kind', @kind::text, 'error_message', @message::text) ELSE runs.attempts END
                        FROM unnest(@id, @attempt) AS u(id, attempt) WHERE runs.id = u.id
                        """)
                        .With("node", p.Node, NpgsqlDbType.Text)
                        .With("now", Sql.Ms(p.Now), NpgsqlDbType.Bigint)
                        .With("kind", JobLedger.AbandonedKind, NpgsqlDbType.Text)
                        .With("message", JobLedger.AbandonedMessage, NpgsqlDbType.Text)
                        .With("id", resume.Select(r => r.Run.Id).ToArray(), Sql.Array(NpgsqlDbType.Text))
                        .With("attempt", resume.Select(r => r.Run.Attempt).ToArray(), Sql.Array(NpgsqlDbType.Integer)));
                if (abandonedRuns.Count > 0)
                    batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                        UPDATE runs SET status = u.status, finished_at = u.finished_at, error_kind = u.error_kind, error_message = u.error_message,
                            retry_at = NULL,
                            on_failure_status = (SELECT 'pending' FROM jobs j WHERE j.id = runs.job_id AND j.on_failure_type IS NOT NULL)
                        FROM unnest(@id, @status, @finished_at, @error_kind, @error_message) AS u(id, status, finished_at, error_kind, error_message)
                        WHERE runs.id = u.id
                        """)
                        .With("id", abandonedRuns.Select(r => r.Id).ToArray(), Sql.Array(NpgsqlDbType.Text))
                        .With("status", abandonedRuns.Select(r => r.Status.ToWire()).ToArray(), Sql.Array(NpgsqlDbType.Text))
                        .With("finished_at", abandonedRuns.Select(r => Sql.Ms(r.FinishedAt!.Value)).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
                        .With("error_kind", abandonedRuns.Select(r => r.ErrorKind).ToArray(), Sql.Array(NpgsqlDbType.Text))
                        .With("error_message", abandonedRuns.Select(r => r.ErrorMessage).ToArray(), Sql.Array(NpgsqlDbType.Text)));
                foreach (var job in paused)
                    batch.BatchCommands.Add(NoticeCommand(job.Product, job.Tag, Core.Storage.JobNoticeActions.Pause,
                        JobLedger.AutoPauseReason(job.ConsecutiveFailures)));
                await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await writes.ExecuteAsync(c, tx, ct).ConfigureAwait(false);
            return new RecoverResult(resume, abandonedRuns.Count);
        }, ct, committed: (result, c, token) => RunsWrittenAsync(c, result.Resume.Select(r => r.Run.Id), p.Node, token));
    }

    /// <inheritdoc />
    /// <remarks>The runs are locked (<c>FOR UPDATE</c>), so a rescuer taking them over at the same moment either sees the hand-back or wins first.</remarks>
    public Task<int> HandBackRunsAsync(HandBackParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Runs.Count == 0) return Task.FromResult(0);
        return WriteAsync(async (c, tx) =>
        {
            var held = new Dictionary<string, Orphan>(p.Runs.Count);
            await using (var select = c.Command(tx, $"SELECT {RunRows.Columns} FROM runs WHERE id = ANY(@ids) FOR UPDATE")
                .With("ids", p.Runs.Select(r => r.RunId).Distinct().ToArray(), Sql.Array(NpgsqlDbType.Text)))
            await using (var r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    var run = RunRows.Read(r);
                    held[run.Id] = new Orphan(run, r.AtOrNull(RunRows.RetryAtOrdinal), r.GetInt32(RunRows.MaxAttemptsOrdinal));
                }
            }
            var pending = new Dictionary<string, Orphan>();
            foreach (var back in p.Runs)
                if (held.TryGetValue(back.RunId, out var run) && !pending.ContainsKey(back.RunId) && JobLedger.HandBack(run, back, p.Node) is { } decided)
                    pending[back.RunId] = decided;
            if (pending.Count == 0) return 0;
            await using var update = c.Command(tx, """
                UPDATE runs SET attempt = u.attempt, retry_at = u.retry_at FROM unnest(@id, @attempt, @retry_at) AS u(id, attempt, retry_at)
                WHERE runs.id = u.id
                """)
                .With("id", pending.Keys.ToArray(), Sql.Array(NpgsqlDbType.Text))
                .With("attempt", pending.Values.Select(o => o.Run.Attempt).ToArray(), Sql.Array(NpgsqlDbType.Integer))
                .With("retry_at", pending.Values.Select(o => Sql.Ms(o.RetryAt!.Value)).ToArray(), Sql.Array(NpgsqlDbType.Bigint));
            await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return pending.Count;
        }, ct);
    }

    /// <inheritdoc />
    /// <remarks>Runs still <c>running</c> are never deleted, but they count toward <see cref="PruneParams.KeepPerJob"/>.</remarks>
    public Task<int> PruneRunsAsync(PruneParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(async (c, tx) =>
        {
            await using var cmd = c.Command(tx, """
                DELETE FROM runs WHERE status <> 'running' AND (
                    finished_at < @older_than
                    OR id IN (
                        SELECT id FROM (
                            SELECT id, row_number() OVER (PARTITION BY product, job_tag ORDER BY id DESC) AS newest FROM runs) ranked
                        WHERE newest > @keep))
                """).With("older_than", Sql.Ms(p.OlderThan)).With("keep", (long)Math.Max(0, p.KeepPerJob));
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    public Task<PageResult<Run>> ListRunsAsync(RunQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        StorePaging.RunsBefore(query);
        return ReadAsync(async c =>
        {
            // Only the filters asked for are written into the SQL, so that the planner walks runs_by_job backwards.
            var where = "product = @product"
                + (query.JobTag is null ? "" : " AND job_tag = @job_tag")
                + (query.Status is null ? "" : " AND status = @status")
                + (query.Statuses is { Count: > 0 } ? " AND status = ANY(@statuses)" : "")
                + (query.Slot is null ? "" : " AND slot = @slot")
                + (query.Cursor is null ? "" : " AND id < @before");
            await using var cmd = c.Command(null, $"SELECT {RunRows.Columns} FROM runs WHERE {where} ORDER BY id DESC LIMIT @take")
                .With("product", query.Product).With("take", (long)StorePaging.Take(query.Limit));
            if (query.JobTag is not null) cmd.With("job_tag", query.JobTag);
            if (query.Status is not null) cmd.With("status", query.Status.Value.ToWire());
            if (query.Cursor is not null) cmd.With("before", query.Cursor);
            if (query.Statuses is { Count: > 0 } statuses) cmd.With("statuses", statuses.Select(s => s.ToWire()).ToArray(), Sql.Array(NpgsqlTypes.NpgsqlDbType.Text));
            if (query.Slot is { } slot) cmd.With("slot", slot);
            var items = await RunRows.ReadAllAsync(cmd, ct).ConfigureAwait(false);
            return StorePaging.Page(items, query.Limit, r => r.Id);
        }, ct);
    }

    /// <inheritdoc />
    public Task<Run?> GetRunAsync(string product, string runId, CancellationToken ct) => ReadAsync(async c =>
    {
        await using var cmd = c.Command(null, $"SELECT {RunRows.Columns} FROM runs WHERE id = @id AND product = @product")
            .With("id", runId).With("product", product);
        return await RunRows.ReadAllAsync(cmd, ct).ConfigureAwait(false) is [var run] ? run : null;
    }, ct);

}
