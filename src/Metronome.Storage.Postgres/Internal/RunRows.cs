using Metronome.Core.Runs;
using Npgsql;

namespace Metronome.Storage.Postgres.Internal;

/// <summary>Mapping of the <c>runs</c> table to <see cref="Run"/>.</summary>
internal static class RunRows
{
    /// <summary>Every column <see cref="Read"/> needs, in its order.</summary>
    public const string Columns =
        "id, job_id, product, job_tag, slot, attempt, scheduled_at, started_at, finished_at, node, status, error_message, error_kind, output, retry_at, max_attempts, skipped_count, attempts, " +
        "on_failure_status, on_failure_error, on_failure_kind, on_failure_at"; // failure handling (issue 14): ordinals 18–21

    /// <summary>Number of columns <see cref="Columns"/> selects.</summary>
    public const int Count = 22;

    /// <summary><see cref="Columns"/> qualified by <paramref name="alias"/> (for a join).</summary>
    public static string ColumnsOf(string alias) => string.Join(", ", Columns.Split(", ").Select(n => $"{alias}.{n}"));

    public const int RetryAtOrdinal = 14;
    public const int MaxAttemptsOrdinal = 15;

    public static Run Read(NpgsqlDataReader r) => new()
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

    public static async Task<List<Run>> ReadAllAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var items = new List<Run>();
        while (await r.ReadAsync(ct).ConfigureAwait(false)) items.Add(Read(r));
        return items;
    }
}
