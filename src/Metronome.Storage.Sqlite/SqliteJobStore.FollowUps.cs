using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite.Internal;

namespace Metronome.Storage.Sqlite;

/// <summary>Failure handling's follow-ups (issue 14): timed resumes, pending <c>on_failure</c> hooks, engine notices.</summary>
public sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<ScheduleEntry>> ResumePausedJobsAsync(DateTimeOffset now, CancellationToken ct) =>
        WriteAsync<IReadOnlyList<ScheduleEntry>>((c, tx) =>
        {
            var due = new List<Job>();
            using (var select = c.Command(tx, $"SELECT {JobRows.Columns} FROM jobs WHERE paused_until <= @now AND status = 'paused' ORDER BY id")
                .With("@now", Sql.Ms(now)))
            using (var r = select.ExecuteReader())
            {
                while (r.Read()) due.Add(JobRows.Read(r));
            }
            var entries = new List<ScheduleEntry>(due.Count);
            foreach (var job in due)
            {
                var resumed = JobLedger.ResumeAt(job, now);
                if (resumed.Equals(job)) continue;
                JobRows.Update(c, tx, resumed);
                InsertNotice(c, tx, job.Product, job.Tag, JobNoticeActions.Resume, JobLedger.ResumeReason(job.PausedUntil!.Value));
                entries.Add(new ScheduleEntry(resumed.Id, resumed.ScheduledDueAt));
            }
            return entries;
        }, ct);

    /// <inheritdoc />
    public Task<FollowUps> ListFollowUpsAsync(int limit, CancellationToken ct) => ReadAsync(c =>
    {
        var hooks = new List<PendingFailureHook>();
        using (var cmd = c.Command(null, $"""
            SELECT {RunRows.Columns("r")}, {JobRows.ColumnsOf("j")}
            FROM runs r LEFT JOIN jobs j ON j.id = r.job_id
            WHERE r.on_failure_status = 'pending' ORDER BY r.id LIMIT @limit
            """).With("@limit", limit))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read()) hooks.Add(new PendingFailureHook(RunRows.Read(r), r.IsDBNull(RunRows.Count) ? null : JobRows.Read(r, RunRows.Count)));
        }
        var notices = new List<JobNotice>();
        using (var cmd = c.Command(null, "SELECT id, product, job_tag, action, reason, at FROM job_notices ORDER BY id LIMIT @limit").With("@limit", limit))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read()) notices.Add(new JobNotice(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.At(5)));
        }
        return hooks.Count == 0 && notices.Count == 0 ? FollowUps.None : new FollowUps(hooks, notices);
    }, ct);

    /// <inheritdoc />
    public Task CompleteFollowUpsAsync(FollowUpResults results, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Hooks.Count == 0 && results.Notices.Count == 0) return Task.CompletedTask;
        return WriteAsync((c, tx) =>
        {
            using var hook = c.Command(tx, """
                UPDATE runs SET on_failure_status = @status, on_failure_error = @error, on_failure_kind = @kind, on_failure_at = @at
                WHERE id = @id AND on_failure_status = 'pending'
                """);
            var (id, status, error, kind, at) = (hook.Param("@id"), hook.Param("@status"), hook.Param("@error"), hook.Param("@kind"), hook.Param("@at"));
            foreach (var (runId, state) in results.Hooks)
            {
                id.Value = runId;
                status.Value = state.Status;
                error.Set(state.ErrorMessage);
                kind.Set(state.ErrorKind);
                at.Set(Sql.Ms(state.FinishedAt));
                hook.ExecuteNonQuery();
            }
            using var delete = c.Command(tx, "DELETE FROM job_notices WHERE id = @id");
            var noticeId = delete.Param("@id");
            foreach (var notice in results.Notices)
            {
                noticeId.Value = notice;
                delete.ExecuteNonQuery();
            }
        }, ct);
    }
}
