using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;
using Npgsql;
using NpgsqlTypes;

namespace Metronome.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    /// <summary>
    /// Final outcomes of one batch in one statement: finish the runs still <c>running</c> as the attempt reported, on the node
    /// that reported it (<see cref="JobLedger.Applies"/>), count them per job, lock those jobs in
    /// id order (concurrent writers never deadlock) and release them with one UPDATE aggregated per job: the in-flight count
    /// drops by the runs finished, the last of them (in the order reported) becomes the job's last run, and a job with nothing
    /// running and nothing left to run (executions exhausted, or past <c>end_at</c>) completes: the SQL form of
    /// <see cref="JobLedger.Release(Core.Jobs.Job, JobRelease)"/>. Answers the released jobs whose in-flight count is zero, with
    /// their due time (<see cref="JobLedger.AfterRelease"/>). The conformance suite's ledger tables keep both equal to the ledger.
    /// </summary>
    private const string FinishRunsSql = """
        WITH u AS (
            SELECT * FROM unnest(@id, @status, @started_at, @finished_at, @error_message, @error_kind, @output, @ord, @reported, @node)
                AS u(id, status, started_at, finished_at, error_message, error_kind, output, ord, reported, node)
        ), finished AS (
            UPDATE runs SET status = u.status, started_at = u.started_at, finished_at = u.finished_at, error_message = u.error_message,
                error_kind = u.error_kind, output = u.output, retry_at = NULL,
                on_failure_status = CASE WHEN u.status IN ('failed', 'timed_out', 'abandoned') THEN
                    (SELECT 'pending' FROM jobs j WHERE j.id = runs.job_id AND j.on_failure_type IS NOT NULL) END
            FROM u WHERE runs.id = u.id AND runs.status = 'running' AND runs.attempt = u.reported AND runs.node IS NOT DISTINCT FROM u.node
            RETURNING runs.job_id, u.ord, u.started_at, u.status
        ), ranked AS (
            SELECT f.*, max(ord) FILTER (WHERE status = 'succeeded') OVER (PARTITION BY job_id) AS last_ok FROM finished f
        ), counted AS (
            SELECT job_id, count(*) AS n, (array_agg(started_at ORDER BY ord DESC))[1] AS last_run_at,
                (array_agg(status ORDER BY ord DESC))[1] AS last_run_status, max(last_ok) AS last_ok,
                (count(*) FILTER (WHERE status <> 'succeeded' AND ord > coalesce(last_ok, -1)))::integer AS failures
            FROM ranked GROUP BY job_id
        ), locked AS MATERIALIZED (
            SELECT p.job_id, p.n, p.last_run_at, p.last_run_status, p.last_ok IS NOT NULL AS any_ok, p.failures,
                CASE WHEN p.last_ok IS NOT NULL THEN p.failures
                     ELSE least(2147483647, jobs.consecutive_failures::bigint + p.failures)::integer END AS consecutive,
                jobs.status AS old_status
            FROM counted p JOIN jobs ON jobs.id = p.job_id
            ORDER BY p.job_id FOR UPDATE OF jobs
        ), released AS (
            UPDATE jobs SET in_flight = greatest(0, jobs.in_flight - p.n), last_run_at = p.last_run_at, last_run_status = p.last_run_status,
                consecutive_failures = p.consecutive,
                status = CASE WHEN jobs.in_flight - p.n <= 0
                                   AND ((jobs.executions > 0 AND jobs.executions_done >= jobs.executions) OR jobs.next_due_at > jobs.end_at)
                              THEN 'completed'
                              WHEN jobs.status = 'active' AND p.failures > 0 AND jobs.pause_after_failures > 0
                                   AND p.consecutive >= jobs.pause_after_failures
                              THEN 'paused' ELSE jobs.status END
            FROM locked p
            WHERE jobs.id = p.job_id
            RETURNING jobs.id, jobs.in_flight, jobs.status, jobs.executions, jobs.executions_done, jobs.next_due_at, jobs.product, jobs.tag,
                jobs.consecutive_failures, p.old_status
        ), noticed AS (
            INSERT INTO job_notices (product, job_tag, action, reason, at)
            SELECT product, tag, 'job.pause', consecutive_failures || ' consecutive slots ended without success',
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint
            FROM released WHERE status = 'paused' AND old_status = 'active'
        )
        SELECT id, CASE WHEN status = 'active' AND NOT (executions > 0 AND executions_done >= executions) THEN next_due_at END
        FROM released WHERE in_flight = 0 ORDER BY id
        """;

    /// <inheritdoc />
    /// <remarks>
    /// Group commit in one round trip: one array UPDATE for the retries and one statement for the final outcomes
    /// (<see cref="FinishRunsSql"/>), sent together, then COMMIT. An outcome only applies to a run still <c>running</c> as the
    /// attempt reported, on the node that reported it (<see cref="JobLedger.Applies"/>): replaying a batch whose COMMIT was lost
    /// in a connection failure, or a late report of an attempt recovery re-issued, changes nothing and releases no in-flight
    /// slot twice. The runs are found by primary key (see <c>runs_running</c> in the
    /// schema), and no index covers a column of <c>jobs</c> the release changes, so releasing is a HOT update.
    /// </remarks>
    public Task<IReadOnlyList<ScheduleEntry>> CompleteRunsAsync(IReadOnlyList<RunCompletion> completions, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(completions);
        if (completions.Count == 0) return Task.FromResult<IReadOnlyList<ScheduleEntry>>([]);
        // Within one batch, the last retry of a run wins (its highest attempt) and its first final outcome (later ones are
        // duplicates); a final outcome's position in the batch orders the job's last run.
        var retries = new Dictionary<string, RunCompletion>(StringComparer.Ordinal);
        var finals = new Dictionary<string, (RunCompletion Outcome, int Ord)>(completions.Count, StringComparer.Ordinal);
        for (int i = 0; i < completions.Count; i++)
        {
            var c = completions[i];
            if (c.RetryAt is not null) retries[c.RunId] = c;
            else finals.TryAdd(c.RunId, (c, i));
        }

        return WriteAsync<IReadOnlyList<ScheduleEntry>>(async (c, tx) =>
        {
            await using var batch = new NpgsqlBatch(c, tx);
            if (retries.Count > 0)
            {
                var r = retries.Values.OrderBy(x => x.RunId, StringComparer.Ordinal).ToArray();
                batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                    UPDATE runs SET attempt = u.attempt, retry_at = u.retry_at, error_message = u.error_message, error_kind = u.error_kind,
                        attempts = COALESCE(runs.attempts, '[]'::jsonb) || jsonb_build_object('attempt', runs.attempt,
                            'started_at', u.started_at, 'finished_at', u.finished_at, 'status', u.status,
                            'error_kind', u.error_kind, 'error_message', u.error_message)
                    FROM unnest(@id, @attempt, @retry_at, @error_message, @error_kind, @node, @started_at, @finished_at, @status)
                        AS u(id, attempt, retry_at, error_message, error_kind, node, started_at, finished_at, status)
                    WHERE runs.id = u.id AND runs.status = 'running' AND runs.attempt = u.attempt - 1 AND runs.node IS NOT DISTINCT FROM u.node
                    """)
                    .With("id", r.Select(x => x.RunId).ToArray(), Sql.Array(NpgsqlDbType.Text))
                    .With("attempt", r.Select(x => x.Attempt + 1).ToArray(), Sql.Array(NpgsqlDbType.Integer))
                    .With("retry_at", r.Select(x => Sql.Ms(x.RetryAt!.Value)).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
                    .With("error_message", r.Select(x => x.ErrorMessage).ToArray(), Sql.Array(NpgsqlDbType.Text))
                    .With("error_kind", r.Select(x => x.ErrorKind).ToArray(), Sql.Array(NpgsqlDbType.Text))
                    .With("node", r.Select(x => x.Node).ToArray(), Sql.Array(NpgsqlDbType.Text))
                    .With("started_at", r.Select(x => Sql.Ms(x.StartedAt)).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
                    .With("finished_at", r.Select(x => Sql.Ms(x.FinishedAt)).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
                    .With("status", r.Select(x => x.Status.ToWire()).ToArray(), Sql.Array(NpgsqlDbType.Text)));
            }
            if (finals.Count > 0)
            {
                // Sorted by run id: runs are locked in one order by every writer.
                var f = finals.Values.OrderBy(x => x.Outcome.RunId, StringComparer.Ordinal).ToArray();
                int n = f.Length;
                var id = new string[n];
                var status = new string[n];
                var startedAt = new long[n];
                var finishedAt = new long[n];
                var errorMessage = new string?[n];
                var errorKind = new string?[n];
                var output = new string?[n];
                var ord = new int[n];
                var reported = new int[n];
                var node = new string?[n];
                for (int i = 0; i < n; i++)
                {
                    var (o, position) = f[i];
                    id[i] = o.RunId;
                    status[i] = o.Status.ToWire();
                    startedAt[i] = Sql.Ms(o.StartedAt);
                    finishedAt[i] = Sql.Ms(o.FinishedAt);
                    errorMessage[i] = o.ErrorMessage;
                    errorKind[i] = o.ErrorKind;
                    output[i] = o.OutputJson;
                    ord[i] = position;
                    reported[i] = o.Attempt;
                    node[i] = o.Node;
                }
                batch.BatchCommands.Add(new NpgsqlBatchCommand(FinishRunsSql)
                    .With("id", id, Sql.Array(NpgsqlDbType.Text))
                    .With("status", status, Sql.Array(NpgsqlDbType.Text))
                    .With("started_at", startedAt, Sql.Array(NpgsqlDbType.Bigint))
                    .With("finished_at", finishedAt, Sql.Array(NpgsqlDbType.Bigint))
                    .With("error_message", errorMessage, Sql.Array(NpgsqlDbType.Text))
                    .With("error_kind", errorKind, Sql.Array(NpgsqlDbType.Text))
                    .With("output", output, Sql.Array(NpgsqlDbType.Text))
                    .With("ord", ord, Sql.Array(NpgsqlDbType.Integer))
                    .With("reported", reported, Sql.Array(NpgsqlDbType.Integer))
                    .With("node", node, Sql.Array(NpgsqlDbType.Text)));
            }
            var released = new List<ScheduleEntry>();
            await using var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
            do
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false)) released.Add(new ScheduleEntry(reader.GetInt64(0), reader.AtOrNull(1)));
            } while (await reader.NextResultAsync(ct).ConfigureAwait(false));
            return released;
        }, ct);
    }
}
