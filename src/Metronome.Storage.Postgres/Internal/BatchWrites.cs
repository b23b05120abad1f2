using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Metronome.Storage.Postgres.Internal;

/// <summary>
/// The writes of one batch transaction (claim, completion, recovery), each a single statement over arrays
/// (<c>unnest</c>), sent together in one <see cref="NpgsqlBatch"/>: a batch of any size costs one round trip.
/// </summary>
internal sealed class BatchWrites(string channel)
{
    private readonly List<(Run Run, int MaxAttempts)> _runs = [];
    private readonly Dictionary<long, Job> _jobs = [];
    private readonly List<string> _notes = [];
    private readonly List<SkipExtension> _extensions = [];

    public int RunCount => _runs.Count;

    public void InsertRun(Run run, int maxAttempts) => _runs.Add((run, maxAttempts));

    /// <summary>Adds skipped slots to an existing skipped run (<see cref="Run.SkippedCount"/>) and moves its finished time.</summary>
    public void ExtendSkipped(SkipExtension more) => _extensions.Add(more);

    /// <summary>Writes the job's schedule state (status, counters, next slot, last run) at <see cref="ExecuteAsync"/>.</summary>
    public void UpdateJob(Job job) => _jobs[job.Id] = job;

    /// <summary>Tells every node about the job's new schedule when the transaction commits.</summary>
    public void Notify(ScheduleChange change) => _notes.Add(ScheduleNotes.Format(change));

    public async Task ExecuteAsync(NpgsqlConnection c, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(c, tx);
        if (_runs.Count > 0) batch.BatchCommands.Add(InsertRuns());
        if (_extensions.Count > 0) batch.BatchCommands.Add(ExtendSkippedRuns());
        if (_jobs.Count > 0) batch.BatchCommands.Add(UpdateJobs());
        if (_notes.Count > 0) batch.BatchCommands.Add(ScheduleNotes.Command(channel, _notes));
        if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private NpgsqlBatchCommand InsertRuns()
    {
        var runs = _runs;
        var cmd = new NpgsqlBatchCommand("""
            INSERT INTO runs (id, job_id, product, job_tag, slot, attempt, max_attempts, scheduled_at, started_at, finished_at, node,
                status, error_message, error_kind, skipped_count)
            SELECT * FROM unnest(@id, @job_id, @product, @job_tag, @slot, @attempt, @max_attempts, @scheduled_at, @started_at,
                @finished_at, @node, @status, @error_message, @error_kind, @skipped_count)
            """);
        cmd.With("id", runs.Select(r => r.Run.Id).ToArray(), Sql.Array(NpgsqlDbType.Text))
            .With("job_id", runs.Select(r => r.Run.JobId).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
            .With("product", runs.Select(r => r.Run.Product).ToArray(), Sql.Array(NpgsqlDbType.Text))
            .With("job_tag", runs.Select(r => r.Run.JobTag).ToArray(), Sql.Array(NpgsqlDbType.Text))
            .With("slot", runs.Select(r => r.Run.Slot).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
            .With("attempt", runs.Select(r => r.Run.Attempt).ToArray(), Sql.Array(NpgsqlDbType.Integer))
            .With("max_attempts", runs.Select(r => r.MaxAttempts).ToArray(), Sql.Array(NpgsqlDbType.Integer))
            .With("scheduled_at", runs.Select(r => Sql.Ms(r.Run.ScheduledAt)).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
            .With("started_at", runs.Select(r => Sql.Ms(r.Run.StartedAt)).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
            .With("finished_at", runs.Select(r => Sql.Ms(r.Run.FinishedAt)).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
            .With("node", runs.Select(r => r.Run.Node).ToArray(), Sql.Array(NpgsqlDbType.Text))
            .With("status", runs.Select(r => r.Run.Status.ToWire()).ToArray(), Sql.Array(NpgsqlDbType.Text))
            .With("error_message", runs.Select(r => r.Run.ErrorMessage).ToArray(), Sql.Array(NpgsqlDbType.Text))
            .With("error_kind", runs.Select(r => r.Run.ErrorKind).ToArray(), Sql.Array(NpgsqlDbType.Text))
            .With("skipped_count", runs.Select(r => r.Run.SkippedCount).ToArray(), Sql.Array(NpgsqlDbType.Bigint));
        return cmd;
    }

    private NpgsqlBatchCommand ExtendSkippedRuns() =>
        new NpgsqlBatchCommand("""
            UPDATE runs SET skipped_count = runs.skipped_count + u.n, finished_at = u.at
            FROM unnest(@id, @n, @at) AS u(id, n, at) WHERE runs.id = u.id
            """)
            .With("id", _extensions.Select(e => e.RunId).ToArray(), Sql.Array(NpgsqlDbType.Text))
            .With("n", _extensions.Select(e => e.Count).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
            .With("at", _extensions.Select(e => Sql.Ms(e.At)).ToArray(), Sql.Array(NpgsqlDbType.Bigint));

    private NpgsqlBatchCommand UpdateJobs()
    {
        var jobs = _jobs.Values.OrderBy(j => j.Id).ToArray();
        var cmd = new NpgsqlBatchCommand("""
            UPDATE jobs SET status = u.status, executions_done = u.executions_done, next_slot = u.next_slot, next_due_at = u.next_due_at,
                in_flight = u.in_flight, last_run_at = u.last_run_at, last_run_status = u.last_run_status, skip_run_id = u.skip_run_id,
                skip_run_next_slot = u.skip_run_next_slot, consecutive_failures = u.consecutive_failures
            FROM unnest(@id, @status, @executions_done, @next_slot, @next_due_at, @in_flight, @last_run_at, @last_run_status, @skip_run_id,
                @skip_run_next_slot, @consecutive_failures)
                AS u(id, status, executions_done, next_slot, next_due_at, in_flight, last_run_at, last_run_status, skip_run_id, skip_run_next_slot,
                    consecutive_failures)
            WHERE jobs.id = u.id
            """);
        cmd.With("id", jobs.Select(j => j.Id).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
            .With("status", jobs.Select(j => j.Status.ToWire()).ToArray(), Sql.Array(NpgsqlDbType.Text))
            .With("executions_done", jobs.Select(j => j.ExecutionsDone).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
            .With("next_slot", jobs.Select(j => j.NextSlot).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
            .With("next_due_at", jobs.Select(j => Sql.Ms(j.NextDueAt)).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
            .With("in_flight", jobs.Select(j => j.InFlight).ToArray(), Sql.Array(NpgsqlDbType.Integer))
            .With("last_run_at", jobs.Select(j => Sql.Ms(j.LastRunAt)).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
            .With("last_run_status", jobs.Select(j => j.LastRunStatus).ToArray(), Sql.Array(NpgsqlDbType.Text))
            .With("skip_run_id", jobs.Select(j => j.SkipRunId).ToArray(), Sql.Array(NpgsqlDbType.Text))
            .With("skip_run_next_slot", jobs.Select(j => j.SkipRunNextSlot).ToArray(), Sql.Array(NpgsqlDbType.Bigint))
            .With("consecutive_failures", jobs.Select(j => j.ConsecutiveFailures).ToArray(), Sql.Array(NpgsqlDbType.Integer));
        return cmd;
    }
}

/// <summary>
/// The NOTIFY payloads of schedule changes: <c>r:&lt;job&gt;:&lt;due ms&gt;</c> (rescheduled; due empty when nothing is
/// scheduled) and <c>c:&lt;job&gt;</c> (paused or deleted). Sent inside the changing transaction, so delivered only on commit.
/// </summary>
internal static class ScheduleNotes
{
    public static string Format(ScheduleChange change) => change.Cancelled
        ? $"c:{change.JobId}"
        : $"r:{change.JobId}:{(change.DueAt is { } due ? Sql.Ms(due).ToString(System.Globalization.CultureInfo.InvariantCulture) : "")}";

    public static bool TryParse(string payload, out ScheduleChange change)
    {
        change = default;
        var parts = payload.Split(':');
        if (parts.Length < 2 || !long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var id)) return false;
        if (parts[0] == "c")
        {
            change = new ScheduleChange(id, null, Cancelled: true);
            return true;
        }
        if (parts[0] != "r" || parts.Length != 3) return false;
        DateTimeOffset? due = null;
        if (parts[2].Length > 0)
        {
            if (!long.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var ms)) return false;
            due = Sql.At(ms);
        }
        change = new ScheduleChange(id, due, Cancelled: false);
        return true;
    }

    public static NpgsqlBatchCommand Command(string channel, IReadOnlyList<string> payloads) =>
        new NpgsqlBatchCommand("SELECT count(pg_notify(@channel, p)) FROM unnest(@payloads) AS p")
            .With("channel", channel, NpgsqlDbType.Text)
            .With("payloads", payloads.ToArray(), Sql.Array(NpgsqlDbType.Text));

    /// <summary>The change a job command leaves behind.</summary>
    public static ScheduleChange Of(Job job) => job.Status == JobStatus.Paused
        ? new ScheduleChange(job.Id, null, Cancelled: true)
        : new ScheduleChange(job.Id, job.ScheduledDueAt, Cancelled: false);
}

/// <summary>
/// The NOTIFY payload of a catalogue change, <c>k:&lt;version&gt;:&lt;product&gt;</c>, sent on the schedule channel by every
/// catalogue write (the product, its keys, secrets or events) with the product's new version (table <c>catalog_versions</c>).
/// </summary>
internal static class CatalogNotes
{
    public static bool TryParse(string payload, out string product, out long version)
    {
        (product, version) = ("", 0);
        if (!payload.StartsWith("k:", StringComparison.Ordinal)) return false;
        var parts = payload.Split(':', 3);
        if (parts.Length != 3 || parts[2].Length == 0
            || !long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out version)) return false;
        product = parts[2];
        return true;
    }
}
