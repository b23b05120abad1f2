using Metronome.Core.Jobs;
using Microsoft.Data.Sqlite;

namespace Metronome.Storage.Sqlite.Internal;

/// <summary>Mapping of the <c>jobs</c> table to <see cref="Job"/>.</summary>
internal static class JobRows
{
    /// <summary>Every column, in the order <see cref="Read"/> expects.</summary>
    public const string Columns = "id, " + WritableColumns + ", skip_run_id, skip_run_next_slot, " + FailureColumns;

    /// <summary><see cref="Columns"/> qualified by <paramref name="alias"/> (for a join).</summary>
    public static string ColumnsOf(string alias) =>
        string.Join(", ", Columns.Split(", ").Select(n => $"{alias}.{n}"));

    // --- failure handling (issue 14): ordinals 28–32 ---
    private const string FailureColumns = "on_failure_type, on_failure_tag, pause_after_failures, consecutive_failures, paused_until";
    private const string FailureValues = "@on_failure_type, @on_failure_tag, @pause_after_failures, @consecutive_failures, @paused_until";

    /// <summary>The columns a new job is inserted with (its open skipped run starts empty).</summary>
    private const string WritableColumns =
        "product, tag, name, event_type, event_tag, executions, interval_ms, start_at, end_at, input, overlap, misfire, " +
        "max_attempts, backoff_ms, max_backoff_ms, timeout_ms, status, executions_done, next_slot, next_due_at, in_flight, " +
        "last_run_at, last_run_status, created_at, updated_at";

    private const string WritableValues =
        "@product, @tag, @name, @event_type, @event_tag, @executions, @interval_ms, @start_at, @end_at, @input, @overlap, @misfire, " +
        "@max_attempts, @backoff_ms, @max_backoff_ms, @timeout_ms, @status, @executions_done, @next_slot, @next_due_at, @in_flight, " +
        "@last_run_at, @last_run_status, @created_at, @updated_at";

    public static Job Read(SqliteDataReader r) => Read(r, 0);

    /// <summary>A job read from the columns of <see cref="Columns"/> starting at ordinal <paramref name="o"/> (after a join).</summary>
    public static Job Read(SqliteDataReader r, int o) => new()
    {
        Id = r.GetInt64(o + 0),
        Product = r.GetString(o + 1),
        Tag = r.GetString(o + 2),
        Name = r.GetString(o + 3),
        EventType = r.GetString(o + 4),
        EventTag = r.GetString(o + 5),
        Executions = r.GetInt64(o + 6),
        IntervalMs = r.GetInt64(o + 7),
        StartAt = r.AtOrNull(o + 8),
        EndAt = r.AtOrNull(o + 9),
        InputJson = r.GetString(o + 10),
        Overlap = WireNames.ParseOverlap(r.GetString(o + 11)),
        Misfire = WireNames.ParseMisfire(r.GetString(o + 12)),
        Retries = new RetryPolicy(r.GetInt32(o + 13), r.GetInt64(o + 14), r.GetInt64(o + 15)),
        TimeoutMs = r.GetInt32(o + 16),
        Status = WireNames.ParseJobStatus(r.GetString(o + 17)),
        ExecutionsDone = r.GetInt64(o + 18),
        NextSlot = r.GetInt64(o + 19),
        NextDueAt = r.At(o + 20),
        InFlight = r.GetInt32(o + 21),
        LastRunAt = r.AtOrNull(o + 22),
        LastRunStatus = r.StringOrNull(o + 23),
        CreatedAt = r.At(o + 24),
        UpdatedAt = r.At(o + 25),
        SkipRunId = r.StringOrNull(o + 26),
        SkipRunNextSlot = r.GetInt64(o + 27),
        OnFailure = r.IsDBNull(o + 28) ? null : new FailureHook(r.GetString(o + 28), r.GetString(o + 29)),
        PauseAfterFailures = r.GetInt32(o + 30),
        ConsecutiveFailures = r.GetInt32(o + 31),
        PausedUntil = r.AtOrNull(o + 32),
    };

    /// <summary>Reads the first row of <paramref name="cmd"/> as a job, or null.</summary>
    public static Job? ReadSingle(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    public static long Insert(SqliteConnection c, SqliteTransaction tx, Job job)
    {
        using var cmd = c.Command(tx, $"INSERT INTO jobs ({WritableColumns}, {FailureColumns}) VALUES ({WritableValues}, {FailureValues}) RETURNING id");
        Bind(cmd, job);
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Writes every mutable column (the identity columns id, product, tag and created_at never change).</summary>
    public static void Update(SqliteConnection c, SqliteTransaction tx, Job job)
    {
        using var cmd = c.Command(tx, """
            UPDATE jobs SET name = @name, event_type = @event_type, event_tag = @event_tag, executions = @executions,
                interval_ms = @interval_ms, start_at = @start_at, end_at = @end_at, input = @input, overlap = @overlap,
                misfire = @misfire, max_attempts = @max_attempts, backoff_ms = @backoff_ms, max_backoff_ms = @max_backoff_ms,
                timeout_ms = @timeout_ms, status = @status, executions_done = @executions_done, next_slot = @next_slot,
                next_due_at = @next_due_at, in_flight = @in_flight, last_run_at = @last_run_at,
                last_run_status = @last_run_status, updated_at = @updated_at,
                on_failure_type = @on_failure_type, on_failure_tag = @on_failure_tag, pause_after_failures = @pause_after_failures,
                consecutive_failures = @consecutive_failures, paused_until = @paused_until
            WHERE id = @id
            """);
        Bind(cmd, job);
        cmd.With("@id", job.Id);
        cmd.ExecuteNonQuery();
    }

    private static void Bind(SqliteCommand cmd, Job job)
    {
        cmd.With("@product", job.Product)
            .With("@tag", job.Tag)
            .With("@name", job.Name)
            .With("@event_type", job.EventType)
            .With("@event_tag", job.EventTag)
            .With("@executions", job.Executions)
            .With("@interval_ms", job.IntervalMs)
            .With("@start_at", Sql.Ms(job.StartAt))
            .With("@end_at", Sql.Ms(job.EndAt))
            .With("@input", job.InputJson)
            .With("@overlap", job.Overlap.ToWire())
            .With("@misfire", job.Misfire.ToWire())
            .With("@max_attempts", job.Retries.MaxAttempts)
            .With("@backoff_ms", job.Retries.BackoffMs)
            .With("@max_backoff_ms", job.Retries.MaxBackoffMs)
            .With("@timeout_ms", job.TimeoutMs)
            .With("@status", job.Status.ToWire())
            .With("@executions_done", job.ExecutionsDone)
            .With("@next_slot", job.NextSlot)
            .With("@next_due_at", Sql.Ms(job.NextDueAt))
            .With("@in_flight", job.InFlight)
            .With("@last_run_at", Sql.Ms(job.LastRunAt))
            .With("@last_run_status", job.LastRunStatus)
            .With("@created_at", Sql.Ms(job.CreatedAt))
            .With("@updated_at", Sql.Ms(job.UpdatedAt))
            .With("@on_failure_type", job.OnFailure?.EventType)
            .With("@on_failure_tag", job.OnFailure?.EventTag)
            .With("@pause_after_failures", job.PauseAfterFailures)
            .With("@consecutive_failures", job.ConsecutiveFailures)
            .With("@paused_until", Sql.Ms(job.PausedUntil));
    }
}
