using Metronome.Core.Jobs;
using Npgsql;
using NpgsqlTypes;

namespace Metronome.Storage.Postgres.Internal;

/// <summary>Mapping of the <c>jobs</c> table to <see cref="Job"/>.</summary>
internal static class JobRows
{
    /// <summary>Every column, in the order <see cref="Read"/> expects.</summary>
    public const string Columns = "id, " + WritableColumns + ", skip_run_id, skip_run_next_slot, " + CronColumns;

    /// <summary>Cron schedules (issue 14): ordinals 28–31.</summary>
    private const string CronColumns = "cron, time_zone, jitter_ms, catch_up_limit";
    private const string CronValues = "@cron, @time_zone, @jitter_ms, @catch_up_limit";

    /// <summary>The columns a new job is inserted with (its open skipped run starts empty).</summary>
    private const string WritableColumns =
        "product, tag, name, event_type, event_tag, executions, interval_ms, start_at, end_at, input, overlap, misfire, " +
        "max_attempts, backoff_ms, max_backoff_ms, timeout_ms, status, executions_done, next_slot, next_due_at, in_flight, " +
        "last_run_at, last_run_status, created_at, updated_at";

    private const string WritableValues =
        "@product, @tag, @name, @event_type, @event_tag, @executions, @interval_ms, @start_at, @end_at, @input, @overlap, @misfire, " +
        "@max_attempts, @backoff_ms, @max_backoff_ms, @timeout_ms, @status, @executions_done, @next_slot, @next_due_at, @in_flight, " +
        "@last_run_at, @last_run_status, @created_at, @updated_at";

    public static Job Read(NpgsqlDataReader r) => new()
    {
        Id = r.GetInt64(0),
        Product = r.GetString(1),
        Tag = r.GetString(2),
        Name = r.GetString(3),
        EventType = r.GetString(4),
        EventTag = r.GetString(5),
        Executions = r.GetInt64(6),
        IntervalMs = r.GetInt64(7),
        StartAt = r.AtOrNull(8),
        EndAt = r.AtOrNull(9),
        InputJson = r.GetString(10),
        Overlap = WireNames.ParseOverlap(r.GetString(11)),
        Misfire = WireNames.ParseMisfire(r.GetString(12)),
        Retries = new RetryPolicy(r.GetInt32(13), r.GetInt64(14), r.GetInt64(15)),
        TimeoutMs = r.GetInt32(16),
        Status = WireNames.ParseJobStatus(r.GetString(17)),
        ExecutionsDone = r.GetInt64(18),
        NextSlot = r.GetInt64(19),
        NextDueAt = r.At(20),
        InFlight = r.GetInt32(21),
        LastRunAt = r.AtOrNull(22),
        LastRunStatus = r.StringOrNull(23),
        CreatedAt = r.At(24),
        UpdatedAt = r.At(25),
        SkipRunId = r.StringOrNull(26),
        SkipRunNextSlot = r.GetInt64(27),
        Cron = r.StringOrNull(28),
        TimeZone = r.GetString(29),
        JitterMs = r.GetInt64(30),
        CatchUpLimit = r.GetInt32(31),
    };

    public static async Task<List<Job>> ReadAllAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var jobs = new List<Job>();
        while (await r.ReadAsync(ct).ConfigureAwait(false)) jobs.Add(Read(r));
        return jobs;
    }

    /// <summary>The jobs of <paramref name="ids"/> that exist, locked for this transaction in id order (so concurrent writers never deadlock).</summary>
    public static async Task<Dictionary<long, Job>> LockAsync(NpgsqlConnection c, NpgsqlTransaction tx, IEnumerable<long> ids, CancellationToken ct)
    {
        var sorted = ids.Distinct().Order().ToArray();
        if (sorted.Length == 0) return [];
        await using var cmd = c.Command(tx, $"SELECT {Columns} FROM jobs WHERE id = ANY(@ids) ORDER BY id FOR UPDATE")
            .With("ids", sorted, Sql.Array(NpgsqlDbType.Bigint));
        return (await ReadAllAsync(cmd, ct).ConfigureAwait(false)).ToDictionary(j => j.Id);
    }

    public static async Task<long> InsertAsync(NpgsqlConnection c, NpgsqlTransaction tx, Job job, CancellationToken ct)
    {
        await using var cmd = c.Command(tx, $"INSERT INTO jobs ({WritableColumns}, {CronColumns}) VALUES ({WritableValues}, {CronValues}) RETURNING id");
        Bind(cmd, job);
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Writes every mutable column (the identity columns id, product, tag and created_at never change).</summary>
    public static async Task UpdateAsync(NpgsqlConnection c, NpgsqlTransaction tx, Job job, CancellationToken ct)
    {
        await using var cmd = c.Command(tx, """
            UPDATE jobs SET name = @name, event_type = @event_type, event_tag = @event_tag, executions = @executions,
                interval_ms = @interval_ms, start_at = @start_at, end_at = @end_at, input = @input, overlap = @overlap,
                misfire = @misfire, max_attempts = @max_attempts, backoff_ms = @backoff_ms, max_backoff_ms = @max_backoff_ms,
                timeout_ms = @timeout_ms, status = @status, executions_done = @executions_done, next_slot = @next_slot,
                next_due_at = @next_due_at, in_flight = @in_flight, last_run_at = @last_run_at,
                last_run_status = @last_run_status, updated_at = @updated_at,
                cron = @cron, time_zone = @time_zone, jitter_ms = @jitter_ms, catch_up_limit = @catch_up_limit
            WHERE id = @id
            """);
        Bind(cmd, job);
        cmd.With("id", job.Id);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static void Bind(NpgsqlCommand cmd, Job job)
    {
        cmd.With("product", job.Product)
            .With("tag", job.Tag)
            .With("name", job.Name)
            .With("event_type", job.EventType)
            .With("event_tag", job.EventTag)
            .With("executions", job.Executions)
            .With("interval_ms", job.IntervalMs)
            .With("start_at", Sql.Ms(job.StartAt))
            .With("end_at", Sql.Ms(job.EndAt))
            .With("input", job.InputJson)
            .With("overlap", job.Overlap.ToWire())
            .With("misfire", job.Misfire.ToWire())
            .With("max_attempts", job.Retries.MaxAttempts, NpgsqlDbType.Integer)
            .With("backoff_ms", job.Retries.BackoffMs)
            .With("max_backoff_ms", job.Retries.MaxBackoffMs)
            .With("timeout_ms", job.TimeoutMs, NpgsqlDbType.Integer)
            .With("status", job.Status.ToWire())
            .With("executions_done", job.ExecutionsDone)
            .With("next_slot", job.NextSlot)
            .With("next_due_at", Sql.Ms(job.NextDueAt))
            .With("in_flight", job.InFlight, NpgsqlDbType.Integer)
            .With("last_run_at", Sql.Ms(job.LastRunAt))
            .With("last_run_status", job.LastRunStatus)
            .With("created_at", Sql.Ms(job.CreatedAt))
            .With("updated_at", Sql.Ms(job.UpdatedAt))
            .With("cron", job.Cron)
            .With("time_zone", job.TimeZone)
            .With("jitter_ms", job.JitterMs)
            .With("catch_up_limit", job.CatchUpLimit, NpgsqlDbType.Integer);
    }

}
