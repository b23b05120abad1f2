using Metronome.Core;
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
    /// A completion only applies to a run still <c>running</c> as the attempt reported, on the node that reported it
    /// (<see cref="JobLedger.Applies"/>): a duplicate report, or a late one after a recovery re-issued the attempt, changes
    /// nothing and releases no in-flight slot twice.
    /// </remarks>
    public Task<IReadOnlyList<ScheduleEntry>> CompleteRunsAsync(IReadOnlyList<RunCompletion> completions, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(completions);
        if (completions.Count == 0) return Task.FromResult<IReadOnlyList<ScheduleEntry>>([]);
        return WriteAsync<IReadOnlyList<ScheduleEntry>>((c, tx) =>
        {
            using var retry = c.Command(tx, """
                UPDATE runs SET attempt = @attempt, retry_at = @retry_at, error_message = @error_message, error_kind = @error_kind,
                    attempts = json_insert(COALESCE(attempts, '[]'), '$[#]', json_object('attempt', @reported, 'started_at', @started_at,
                        'finished_at', @finished_at, 'status', @status, 'error_kind', @error_kind, 'error_message', @error_message))
                WHERE id = @id AND status = 'running' AND attempt = @reported AND node IS @node
                """);
            var rId = retry.Param("@id");
            var rAttempt = retry.Param("@attempt");
            var rAt = retry.Param("@retry_at");
            var rMessage = retry.Param("@error_message");
            var rKind = retry.Param("@error_kind");
            var rReported = retry.Param("@reported");
            var rNode = retry.Param("@node");
            var rStarted = retry.Param("@started_at");
            var rFinished = retry.Param("@finished_at");
            var rStatus = retry.Param("@status");
            using var finish = c.Command(tx, $"""
                UPDATE runs SET status = @status, started_at = @started_at, finished_at = @finished_at, error_message = @error_message,
                    error_kind = @error_kind, output = @output, retry_at = NULL,
                    on_failure_status = CASE WHEN @status IN ('failed', 'timed_out', 'abandoned') THEN {FailureHookPendingSql} END
                WHERE id = @id AND status = 'running' AND attempt = @reported AND node IS @node
                """);
            var fId = finish.Param("@id");
            var fStatus = finish.Param("@status");
            var fStarted = finish.Param("@started_at");
            var fFinished = finish.Param("@finished_at");
            var fMessage = finish.Param("@error_message");
            var fKind = finish.Param("@error_kind");
            var fOutput = finish.Param("@output");
            var fReported = finish.Param("@reported");
            var fNode = finish.Param("@node");

            var released = new ReleaseTally();
            foreach (var done in completions)
            {
                if (done.RetryAt is { } retryAt)
                {
                    rId.Value = done.RunId;
                    rAttempt.Value = done.Attempt + 1;
                    rAt.Value = Sql.Ms(retryAt);
                    rMessage.Set(done.ErrorMessage);
                    rKind.Set(done.ErrorKind);
                    rReported.Value = done.Attempt;
                    rNode.Set(done.Node);
                    rStarted.Value = Sql.Ms(done.StartedAt);
                    rFinished.Value = Sql.Ms(done.FinishedAt);
                    rStatus.Value = done.Status.ToWire();
                    retry.ExecuteNonQuery();
                    continue;
                }

                fId.Value = done.RunId;
                fStatus.Value = done.Status.ToWire();
                fStarted.Value = Sql.Ms(done.StartedAt);
                fFinished.Value = Sql.Ms(done.FinishedAt);
                fMessage.Set(done.ErrorMessage);
                fKind.Set(done.ErrorKind);
                fOutput.Set(done.OutputJson);
                fReported.Value = done.Attempt;
                fNode.Set(done.Node);
                if (finish.ExecuteNonQuery() == 0) continue; // unknown or already finished
                released.Add(done.JobId, done.StartedAt, done.Status);
            }
            return released.Count == 0 ? [] : ReleaseJobs(c, tx, released);
        }, ct);
    }

    /// <summary>
    /// Releases the in-flight executions of each job in one UPDATE … RETURNING (no read of the job row): the SQL form of
    /// <see cref="JobLedger.Release(Core.Jobs.Job, JobRelease)"/> and <see cref="JobLedger.AfterRelease"/>, kept equal to
    /// them by the conformance suite's ledger tables. A deleted job updates nothing: its runs are history.
    /// </summary>
    /// <remarks>
    /// Failure counting rides on the same UPDATE (<see cref="JobLedger.CountFailures"/>). Whether the release pauses the job
    /// (<see cref="JobLedger.PausesAfterFailures(Core.Jobs.JobStatus, int, int, JobRelease)"/>) needs the job's status before the
    /// release, which RETURNING cannot give: only a release that reports failures reads it first (successes pay nothing). A pause
    /// records its audit notice in this transaction.
    /// </remarks>
    private static List<ScheduleEntry> ReleaseJobs(SqliteConnection c, SqliteTransaction tx, ReleaseTally released)
    {
        using var release = c.Command(tx, """
            UPDATE jobs SET in_flight = max(0, in_flight - @n), last_run_at = @last_run_at, last_run_status = @last_run_status,
                consecutive_failures = CASE WHEN @any_ok THEN @failures ELSE min(2147483647, consecutive_failures + @failures) END,
                status = CASE WHEN max(0, in_flight - @n) = 0
                    AND ((executions > 0 AND executions_done >= executions) OR (end_at IS NOT NULL AND next_due_at > end_at))
                    THEN 'completed' WHEN @pause THEN 'paused' ELSE status END
            WHERE id = @id
            RETURNING in_flight, status, executions, executions_done, next_due_at, consecutive_failures, product, tag
            """);
        var id = release.Param("@id");
        var n = release.Param("@n");
        var lastRunAt = release.Param("@last_run_at");
        var lastRunStatus = release.Param("@last_run_status");
        var anyOk = release.Param("@any_ok");
        var failures = release.Param("@failures");
        var pause = release.Param("@pause");
        var entries = new List<ScheduleEntry>();
        foreach (var r in released.Releases)
        {
            id.Value = r.JobId;
            n.Value = r.Count;
            lastRunAt.Set(Sql.Ms(r.LastRunAt));
            lastRunStatus.Value = r.LastRunStatus.ToWire();
            anyOk.Value = r.AnySucceeded;
            failures.Value = r.Failures;
            bool pauses = r.Failures > 0 && PausesAfterFailures(c, tx, r);
            pause.Value = pauses;
            using var reader = release.ExecuteReader();
            if (!reader.Read()) continue;
            if (pauses && reader.GetString(1) == "paused")
                InsertNotice(c, tx, reader.GetString(6), reader.GetString(7), JobNoticeActions.Pause, JobLedger.AutoPauseReason(reader.GetInt32(5)));
            if (reader.GetInt64(0) != 0) continue;
            // Job.ScheduledDueAt: active and executions not exhausted.
            long executions = reader.GetInt64(2);
            bool due = reader.GetString(1) == "active" && !(executions > 0 && reader.GetInt64(3) >= executions);
            entries.Add(new ScheduleEntry(r.JobId, due ? reader.At(4) : null));
        }
        return entries;
    }

    /// <summary>The SQL of a finished run's hook state: pending when its job has an <c>on_failure</c> hook (else NULL).</summary>
    private const string FailureHookPendingSql =
        "(SELECT 'pending' FROM jobs j WHERE j.id = runs.job_id AND j.on_failure_type IS NOT NULL)";

    private static bool PausesAfterFailures(SqliteConnection c, SqliteTransaction tx, JobRelease r)
    {
        using var read = c.Command(tx, "SELECT status, pause_after_failures, consecutive_failures FROM jobs WHERE id = @id").With("@id", r.JobId);
        using var row = read.ExecuteReader();
        return row.Read() && JobLedger.PausesAfterFailures(Core.Jobs.WireNames.ParseJobStatus(row.GetString(0)), row.GetInt32(1), row.GetInt32(2), r);
    }

    /// <summary>Records a change the engine made to a job, for the leader to write to the audit log (<see cref="JobNotice"/>).</summary>
    internal static void InsertNotice(SqliteConnection c, SqliteTransaction tx, string product, string tag, string action, string reason)
    {
        using var insert = c.Command(tx, """
            INSERT INTO job_notices (product, job_tag, action, reason, at)
            VALUES (@product, @tag, @action, @reason, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
            """).With("@product", product).With("@tag", tag).With("@action", action).With("@reason", reason);
        insert.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public Task<RecoverResult> RecoverRunsAsync(RecoverParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        string? owners = p.OwnerNodes is null ? null : System.Text.Json.JsonSerializer.Serialize(p.OwnerNodes);
        return WriteAsync((c, tx) =>
        {
            var orphans = new List<Orphan>();
            using (var select = c.Command(tx, $"""
                SELECT {RunRows.Columns()} FROM runs
                WHERE status = 'running' AND node IS NOT NULL AND (@owners IS NULL OR node IN (SELECT value FROM json_each(@owners)))
                ORDER BY id
                """).With("@owners", owners))
            using (var r = select.ExecuteReader())
            {
                while (r.Read())
                    orphans.Add(new Orphan(RunRows.Read(r), r.AtOrNull(RunRows.RetryAtOrdinal), r.GetInt32(RunRows.MaxAttemptsOrdinal)));
            }

            using var jobs = new JobBatch(c, tx);
            // A re-issue that moves to the next attempt keeps the lost one among the earlier attempts, as abandoned.
            using var reissue = c.Command(tx, """
                UPDATE runs SET node = @node, attempts = CASE WHEN @attempt > attempt THEN json_insert(COALESCE(attempts, '[]'), '$[#]',
                        json_object('attempt', attempt, 'started_at', started_at, 'finished_at', @now, 'status', 'abandoned',
                            'error_kind', @kind, 'error_message', @message)) ELSE attempts END,
                    attempt = @attempt
                WHERE id = @id
                """).With("@now", Sql.Ms(p.Now)).With("@kind", JobLedger.AbandonedKind).With("@message", JobLedger.AbandonedMessage);
            var iId = reissue.Param("@id");
            var iAttempt = reissue.Param("@attempt");
            var iNode = reissue.Param("@node");
            using var abandon = c.Command(tx, $"""
                UPDATE runs SET status = @status, finished_at = @finished_at, error_kind = @kind, error_message = @message, retry_at = NULL,
                    on_failure_status = {FailureHookPendingSql}
                WHERE id = @id
                """);
            var aId = abandon.Param("@id");
            var aStatus = abandon.Param("@status");
            var aFinished = abandon.Param("@finished_at");
            var aKind = abandon.Param("@kind");
            var aMessage = abandon.Param("@message");

            var resume = new List<ClaimedRun>();
            int abandoned = 0;
            foreach (var orphan in orphans)
            {
                var decision = JobLedger.Recover(orphan, jobs.Get(orphan.Run.JobId), p.Node, p.Now);
                if (decision.Resume is { } resumed)
                {
                    iId.Value = resumed.Run.Id;
                    iAttempt.Value = resumed.Run.Attempt;
                    iNode.Value = resumed.Run.Node;
                    reissue.ExecuteNonQuery();
                    resume.Add(resumed);
                    continue;
                }
                var run = decision.Abandoned!;
                aId.Value = run.Id;
                aStatus.Value = run.Status.ToWire();
                aFinished.Set(Sql.Ms(run.FinishedAt));
                aKind.Set(run.ErrorKind);
                aMessage.Set(run.ErrorMessage);
                abandon.ExecuteNonQuery();
                abandoned++;
                if (decision.Job is not { } job) continue;
                if (job.Status == Core.Jobs.JobStatus.Paused && jobs.Get(job.Id)?.Status == Core.Jobs.JobStatus.Active)
                    InsertNotice(c, tx, job.Product, job.Tag, JobNoticeActions.Pause, JobLedger.AutoPauseReason(job.ConsecutiveFailures));
                jobs.Set(job);
            }
            jobs.Flush();
            return new RecoverResult(resume, abandoned);
        }, ct);
    }

    /// <inheritdoc />
    public Task<int> HandBackRunsAsync(HandBackParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Runs.Count == 0) return Task.FromResult(0);
        var ids = System.Text.Json.JsonSerializer.Serialize(p.Runs.Select(r => r.RunId));
        return WriteAsync((c, tx) =>
        {
            var held = new Dictionary<string, Orphan>(p.Runs.Count);
            using (var select = c.Command(tx, $"SELECT {RunRows.Columns()} FROM runs WHERE id IN (SELECT value FROM json_each(@ids))")
                .With("@ids", ids))
            using (var r = select.ExecuteReader())
            {
                while (r.Read())
                {
                    var run = RunRows.Read(r);
                    held[run.Id] = new Orphan(run, r.AtOrNull(RunRows.RetryAtOrdinal), r.GetInt32(RunRows.MaxAttemptsOrdinal));
                }
            }
            using var update = c.Command(tx, "UPDATE runs SET attempt = @attempt, retry_at = @retry_at WHERE id = @id");
            var uId = update.Param("@id");
            var uAttempt = update.Param("@attempt");
            var uAt = update.Param("@retry_at");
            int handedBack = 0;
            foreach (var back in p.Runs)
            {
                if (!held.TryGetValue(back.RunId, out var run) || JobLedger.HandBack(run, back, p.Node) is not { } pending) continue;
                uId.Value = back.RunId;
                uAttempt.Value = pending.Run.Attempt;
                uAt.Value = Sql.Ms(pending.RetryAt!.Value);
                update.ExecuteNonQuery();
                held.Remove(back.RunId); // a repeated id hands back once
                handedBack++;
            }
            return handedBack;
        }, ct);
    }

    /// <inheritdoc />
    /// <remarks>Runs still <c>running</c> are never deleted, but they count toward <see cref="PruneParams.KeepPerJob"/>.</remarks>
    public Task<int> PruneRunsAsync(PruneParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync((c, tx) =>
        {
            using var cmd = c.Command(tx, """
                DELETE FROM runs WHERE status <> 'running' AND (
                    finished_at < @older_than
                    OR id IN (
                        SELECT id FROM (
                            SELECT id, ROW_NUMBER() OVER (PARTITION BY product, job_tag ORDER BY id DESC) AS newest
                            FROM runs)
                        WHERE newest > @keep))
                """).With("@older_than", Sql.Ms(p.OlderThan)).With("@keep", Math.Max(0, p.KeepPerJob));
            return cmd.ExecuteNonQuery();
        }, ct);
    }

    /// <inheritdoc />
    public Task<PageResult<Run>> ListRunsAsync(RunQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        StorePaging.RunsBefore(query);
        return ReadAsync(c =>
        {
            // Only the filters asked for are written into the SQL (no "@x IS NULL OR" terms) so that the planner walks
            // the runs_by_job index backwards instead of sorting every run of the product.
            var where = "product = @product"
                + (query.JobTag is null ? "" : " AND job_tag = @job_tag")
                + (query.Status is null ? "" : " AND status = @status")
                + (query.Statuses is { Count: > 0 } ? " AND status IN (SELECT value FROM json_each(@statuses))" : "")
                + (query.Slot is null ? "" : " AND slot = @slot")
                + (query.Cursor is null ? "" : " AND id < @before");
            using var cmd = c.Command(null, $"SELECT {RunRows.Columns()} FROM runs WHERE {where} ORDER BY id DESC LIMIT @take")
                .With("@product", query.Product).With("@job_tag", query.JobTag).With("@slot", query.Slot)
                .With("@statuses", query.Statuses is { Count: > 0 } statuses ? System.Text.Json.JsonSerializer.Serialize(statuses.Select(s => s.ToWire())) : null)
                .With("@status", query.Status?.ToWire()).With("@before", query.Cursor).With("@take", StorePaging.Take(query.Limit));
            var items = ReadRuns(cmd);
            return StorePaging.Page(items, query.Limit, r => r.Id);
        }, ct);
    }

    /// <inheritdoc />
    public Task<Run?> GetRunAsync(string product, string runId, CancellationToken ct) => ReadAsync(c =>
    {
        using var cmd = c.Command(null, $"SELECT {RunRows.Columns()} FROM runs WHERE id = @id AND product = @product")
            .With("@id", runId).With("@product", product);
        return ReadRuns(cmd) is [var run] ? run : null;
    }, ct);

    private static List<Run> ReadRuns(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var items = new List<Run>();
        while (r.Read()) items.Add(RunRows.Read(r));
        return items;
    }

}
