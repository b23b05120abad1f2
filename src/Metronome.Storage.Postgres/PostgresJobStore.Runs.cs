using Metronome.Core;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;
using Npgsql;
using NpgsqlTypes;

namespace Metronome.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    private const string AbandonedKind = "abandoned";
    private const string AbandonedMessage = "the node running this attempt stopped";

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
            var orphans = new List<(Run Run, DateTimeOffset? RetryAt, int MaxAttempts)>();
            await using (var select = c.Command(tx, $"""
                SELECT {RunRows.Columns} FROM runs
                WHERE status = 'running' AND (@owners IS NULL OR node = ANY(@owners))
                ORDER BY id FOR UPDATE SKIP LOCKED
                """).With("owners", p.OwnerNodes?.ToArray(), Sql.Array(NpgsqlDbType.Text)))
            await using (var r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                    orphans.Add((RunRows.Read(r), r.AtOrNull(RunRows.RetryAtOrdinal), r.GetInt32(RunRows.MaxAttemptsOrdinal)));
            }
            if (orphans.Count == 0) return new RecoverResult([], 0);

            var jobs = await JobRows.LockAsync(c, tx, orphans.Select(o => o.Run.JobId), ct).ConfigureAwait(false);
            var reissued = new List<(string Id, int Attempt)>();
            var abandonedIds = new List<string>();
            var resume = new List<ClaimedRun>();
            var writes = new BatchWrites(_channel);
            var released = new HashSet<long>();
            foreach (var (run, retryAt, maxAttempts) in orphans)
            {
                var job = jobs.GetValueOrDefault(run.JobId);
                bool pendingRetry = retryAt is not null;
                if (job is not null && (pendingRetry || run.Attempt < maxAttempts))
                {
                    // A pending retry has not started yet: re-issue it as is. An interrupted attempt counts as tried.
                    var attempt = pendingRetry ? run.Attempt : run.Attempt + 1;
                    reissued.Add((run.Id, attempt));
                    resume.Add(ClaimRecords.ToClaimed(job, run with { Attempt = attempt, Node = p.Node }, retryAt ?? p.Now));
                    continue;
                }
                abandonedIds.Add(run.Id);
                if (job is null) continue;
                jobs[run.JobId] = job = JobRows.Release(job, run.StartedAt, RunStatus.Abandoned.ToWire());
                writes.UpdateJob(job);
                released.Add(job.Id);
            }
            foreach (var id in released)
                if (jobs[id] is { InFlight: 0 } job) writes.Notify(ScheduleNotes.Of(job));

            await using (var batch = new NpgsqlBatch(c, tx))
            {
                if (reissued.Count > 0)
                    batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                        UPDATE runs SET attempt = u.attempt, node = @node FROM unnest(@id, @attempt) AS u(id, attempt) WHERE runs.id = u.id
                        """)
                        .With("node", p.Node, NpgsqlDbType.Text)
                        .With("id", reissued.Select(r => r.Id).ToArray(), Sql.Array(NpgsqlDbType.Text))
                        .With("attempt", reissued.Select(r => r.Attempt).ToArray(), Sql.Array(NpgsqlDbType.Integer)));
                if (abandonedIds.Count > 0)
                    batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                        UPDATE runs SET status = 'abandoned', finished_at = @now, error_kind = @kind, error_message = @message, retry_at = NULL
                        WHERE id = ANY(@id)
                        """)
                        .With("now", Sql.Ms(p.Now), NpgsqlDbType.Bigint)
                        .With("kind", AbandonedKind, NpgsqlDbType.Text)
                        .With("message", AbandonedMessage, NpgsqlDbType.Text)
                        .With("id", abandonedIds.ToArray(), Sql.Array(NpgsqlDbType.Text)));
                await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await writes.ExecuteAsync(c, tx, ct).ConfigureAwait(false);
            return new RecoverResult(resume, abandonedIds.Count);
        }, ct, committed: (result, c, token) => RunsWrittenAsync(c, result.Resume.Select(r => r.Run.Id), p.Node, token));
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
        if (query.Cursor is not null && !IsRunId(query.Cursor))
            throw ValidationFailedException.For("cursor", "cursor is not one returned by this list.");
        int limit = Math.Max(1, query.Limit);
        return ReadAsync(async c =>
        {
            // Only the filters asked for are written into the SQL, so that the planner walks runs_by_job backwards.
            var where = "product = @product"
                + (query.JobTag is null ? "" : " AND job_tag = @job_tag")
                + (query.Status is null ? "" : " AND status = @status")
                + (query.Cursor is null ? "" : " AND id < @before");
            await using var cmd = c.Command(null, $"SELECT {RunRows.Columns} FROM runs WHERE {where} ORDER BY id DESC LIMIT @take")
                .With("product", query.Product).With("take", (long)limit + 1);
            if (query.JobTag is not null) cmd.With("job_tag", query.JobTag);
            if (query.Status is not null) cmd.With("status", query.Status.Value.ToWire());
            if (query.Cursor is not null) cmd.With("before", query.Cursor);
            var items = await RunRows.ReadAllAsync(cmd, ct).ConfigureAwait(false);
            string? next = null;
            if (items.Count > limit)
            {
                items.RemoveAt(limit);
                next = items[^1].Id;
            }
            return new PageResult<Run>(items, next);
        }, ct);
    }

    /// <inheritdoc />
    public Task<Run?> GetRunAsync(string product, string runId, CancellationToken ct) => ReadAsync(async c =>
    {
        await using var cmd = c.Command(null, $"SELECT {RunRows.Columns} FROM runs WHERE id = @id AND product = @product")
            .With("id", runId).With("product", product);
        return await RunRows.ReadAllAsync(cmd, ct).ConfigureAwait(false) is [var run] ? run : null;
    }, ct);

    private static bool IsRunId(string s) => s.Length == 32 && s.All(char.IsAsciiHexDigitLower);
}
