using Metronome.Core.Runs;
using Microsoft.Data.Sqlite;

namespace Metronome.Storage.Sqlite.Internal;

/// <summary>Mapping of the <c>runs</c> table to <see cref="Run"/>.</summary>
internal static class RunRows
{
    /// <summary>Every column <see cref="Read"/> needs, in its order, qualified by <paramref name="alias"/>.</summary>
    public static string Columns(string alias = "runs") =>
        string.Join(", ", Names.Select(n => $"{alias}.{n}"));

    /// <summary>Number of columns <see cref="Columns"/> selects.</summary>
    public static int Count => Names.Length;

    private static readonly string[] Names =
    [
        "id", "job_id", "product", "job_tag", "slot", "attempt", "scheduled_at", "started_at", "finished_at",
        "node", "status", "error_message", "error_kind", "output", "retry_at", "max_attempts", "skipped_count", "attempts",
        // failure handling (issue 14): ordinals 18–21
        "on_failure_status", "on_failure_error", "on_failure_kind", "on_failure_at",
    ];

    public const int RetryAtOrdinal = 14;
    public const int MaxAttemptsOrdinal = 15;

    public static Run Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        JobId = r.GetInt64(1),
        Product = r.GetString(2),
        JobTag = r.GetString(3),
        Slot = r.GetInt64(4),
        Attempt = r.GetInt32(5),
        ScheduledAt = r.At(6),
        StartedAt = r.AtOrNull(7),
        FinishedAt = r.AtOrNull(8),
        Node = r.StringOrNull(9),
        Status = RunStatusNames.FromWire(r.GetString(10)) ?? throw new InvalidDataException($"unknown run status '{r.GetString(10)}' in the database"),
        ErrorMessage = r.StringOrNull(11),
        ErrorKind = r.StringOrNull(12),
        OutputJson = r.StringOrNull(13),
        SkippedCount = r.GetInt64(16),
        PreviousAttempts = RunAttemptsJson.Parse(r.StringOrNull(17)),
        OnFailure = r.IsDBNull(18) ? null : new FailureHookState(r.GetString(18), r.StringOrNull(19), r.StringOrNull(20), r.AtOrNull(21)),
    };
}

/// <summary>An INSERT into <c>runs</c> prepared once and executed for every run of a batch.</summary>
internal sealed class RunInserter : IDisposable
{
    private readonly SqliteCommand _cmd;
    private readonly SqliteParameter _id, _jobId, _product, _jobTag, _slot, _attempt, _maxAttempts, _scheduledAt, _startedAt,
        _finishedAt, _node, _status, _errorMessage, _errorKind, _skippedCount;

    public RunInserter(SqliteConnection c, SqliteTransaction tx)
    {
        _cmd = c.Command(tx, """
            INSERT INTO runs (id, job_id, product, job_tag, slot, attempt, max_attempts, scheduled_at, started_at, finished_at, node, status,
                error_message, error_kind, skipped_count)
            VALUES (@id, @job_id, @product, @job_tag, @slot, @attempt, @max_attempts, @scheduled_at, @started_at, @finished_at, @node, @status,
                @error_message, @error_kind, @skipped_count)
            """);
        _id = _cmd.Param("@id");
        _jobId = _cmd.Param("@job_id");
        _product = _cmd.Param("@product");
        _jobTag = _cmd.Param("@job_tag");
        _slot = _cmd.Param("@slot");
        _attempt = _cmd.Param("@attempt");
        _maxAttempts = _cmd.Param("@max_attempts");
        _scheduledAt = _cmd.Param("@scheduled_at");
        _startedAt = _cmd.Param("@started_at");
        _finishedAt = _cmd.Param("@finished_at");
        _node = _cmd.Param("@node");
        _status = _cmd.Param("@status");
        _errorMessage = _cmd.Param("@error_message");
        _errorKind = _cmd.Param("@error_kind");
        _skippedCount = _cmd.Param("@skipped_count");
    }

    public void Insert(Run run, int maxAttempts)
    {
        _id.Value = run.Id;
        _jobId.Value = run.JobId;
        _product.Value = run.Product;
        _jobTag.Value = run.JobTag;
        _slot.Value = run.Slot;
        _attempt.Value = run.Attempt;
        _maxAttempts.Value = maxAttempts;
        _scheduledAt.Value = Sql.Ms(run.ScheduledAt);
        _startedAt.Set(Sql.Ms(run.StartedAt));
        _finishedAt.Set(Sql.Ms(run.FinishedAt));
        _node.Set(run.Node);
        _status.Value = run.Status.ToWire();
        _errorMessage.Set(run.ErrorMessage);
        _errorKind.Set(run.ErrorKind);
        _skippedCount.Value = run.SkippedCount;
        _cmd.ExecuteNonQuery();
    }

    public void Dispose() => _cmd.Dispose();
}
