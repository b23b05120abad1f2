using Metronome.Core.Jobs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Metronome.Storage.Postgres.Internal;
using Npgsql;
using NpgsqlTypes;

namespace Metronome.Storage.Postgres;

/// <summary>Failure handling's follow-ups (issue 14): timed resumes, pending <c>on_failure</c> hooks, engine notices. The leader calls these.</summary>
public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    /// <remarks>The due jobs are locked (<c>FOR UPDATE SKIP LOCKED</c>); each resume is announced to every node (NOTIFY).</remarks>
    public Task<IReadOnlyList<ScheduleEntry>> ResumePausedJobsAsync(DateTimeOffset now, CancellationToken ct) =>
        WriteAsync<IReadOnlyList<ScheduleEntry>>(async (c, tx) =>
        {
            await using var select = c.Command(tx, $"""
                SELECT {JobRows.Columns} FROM jobs WHERE paused_until <= @now AND status = 'paused' ORDER BY id FOR UPDATE SKIP LOCKED
                """).With("now", Sql.Ms(now));
            var due = await JobRows.ReadAllAsync(select, ct).ConfigureAwait(false);
            var entries = new List<ScheduleEntry>(due.Count);
            var notes = new List<ScheduleChange>(due.Count);
            foreach (var job in due)
            {
                var resumed = JobLedger.ResumeAt(job, now);
                if (resumed.Equals(job)) continue;
                await JobRows.UpdateAsync(c, tx, resumed, ct).ConfigureAwait(false);
                await using (var batch = new NpgsqlBatch(c, tx)
                {
                    BatchCommands = { NoticeCommand(job.Product, job.Tag, JobNoticeActions.Resume, JobLedger.ResumeReason(job.PausedUntil!.Value)) },
                })
                    await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                entries.Add(new ScheduleEntry(resumed.Id, resumed.ScheduledDueAt));
                notes.Add(ScheduleNotes.Of(resumed));
            }
            await NotifyAsync(c, tx, notes, ct).ConfigureAwait(false);
            return entries;
        }, ct);

    /// <inheritdoc />
    public Task<FollowUps> ListFollowUpsAsync(int limit, CancellationToken ct) => ReadAsync(async c =>
    {
        var hooks = new List<PendingFailureHook>();
        await using (var cmd = c.Command(null, $"""
            SELECT {RunRows.ColumnsOf("r")}, {JobRows.ColumnsOf("j")}
            FROM runs r LEFT JOIN jobs j ON j.id = r.job_id
            WHERE r.on_failure_status = 'pending' ORDER BY r.id LIMIT @limit
            """).With("limit", (long)limit))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                hooks.Add(new PendingFailureHook(RunRows.Read(r), r.IsDBNull(RunRows.Count) ? null : JobRows.Read(r, RunRows.Count)));
        }
        var notices = new List<JobNotice>();
        await using (var cmd = c.Command(null, "SELECT id, product, job_tag, action, reason, at FROM job_notices ORDER BY id LIMIT @limit")
            .With("limit", (long)limit))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                notices.Add(new JobNotice(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.At(5)));
        }
        return hooks.Count == 0 && notices.Count == 0 ? FollowUps.None : new FollowUps(hooks, notices);
    }, ct);

    /// <inheritdoc />
    public Task CompleteFollowUpsAsync(FollowUpResults results, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Hooks.Count == 0 && results.Notices.Count == 0) return Task.CompletedTask;
        return WriteAsync(async (c, tx) =>
        {
            await using var batch = new NpgsqlBatch(c, tx);
            if (results.Hooks.Count > 0)
            {
                var h = results.Hooks.OrderBy(x => x.RunId, StringComparer.Ordinal).ToArray();
                batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                    UPDATE runs SET on_failure_status = u.status, on_failure_error = u.error, on_failure_kind = u.kind, on_failure_at = u.at
                    FROM unnest(@id, @status, @error, @kind, @at) AS u(id, status, error, kind, at)
                    WHERE runs.id = u.id AND runs.on_failure_status = 'pending'
                    """)
                    .With("id", h.Select(x => x.RunId).ToArray(), Sql.Array(NpgsqlDbType.Text))
                    .With("status", h.Select(x => x.State.Status).ToArray(), Sql.Array(NpgsqlDbType.Text))
                    .With("error", h.Select(x => x.State.ErrorMessage).ToArray(), Sql.Array(NpgsqlDbType.Text))
                    .With("kind", h.Select(x => x.State.ErrorKind).ToArray(), Sql.Array(NpgsqlDbType.Text))
                    .With("at", h.Select(x => Sql.Ms(x.State.FinishedAt)).ToArray(), Sql.Array(NpgsqlDbType.Bigint)));
            }
            if (results.Notices.Count > 0)
                batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM job_notices WHERE id = ANY(@ids)")
                    .With("ids", results.Notices.ToArray(), Sql.Array(NpgsqlDbType.Bigint)));
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, ct);
    }

    /// <summary>Records a change the engine made to a job, for the leader to write to the audit log (<see cref="JobNotice"/>).</summary>
    private static NpgsqlBatchCommand NoticeCommand(string product, string tag, string action, string reason) => new NpgsqlBatchCommand("""
        INSERT INTO job_notices (product, job_tag, action, reason, at)
        VALUES (@product, @tag, @action, @reason, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
        """)
        .With("product", product, NpgsqlDbType.Text)
        .With("tag", tag, NpgsqlDbType.Text)
        .With("action", action, NpgsqlDbType.Text)
        .With("reason", reason, NpgsqlDbType.Text);
}
