using System.Text.Json;

namespace Metronome.Core.Runs;

/// <summary>
/// An earlier attempt of a run, kept when a retry (or a recovery that re-issues a lost attempt) replaced it; the run record
/// itself is always the latest attempt.
/// </summary>
public sealed record RunAttempt(
    int Attempt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, RunStatus Status, string? ErrorKind, string? ErrorMessage);

/// <summary>
/// The stored form of <see cref="Run.PreviousAttempts"/>: a JSON array of
/// <c>{attempt, started_at, finished_at, status, error_kind, error_message}</c>, times in Unix milliseconds, as the SQL
/// stores append it on a retry.
/// </summary>
public static class RunAttemptsJson
{
    /// <summary>Reads the stored array; null or empty text is no earlier attempt.</summary>
    public static IReadOnlyList<RunAttempt> Parse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return [];
        using var doc = JsonDocument.Parse(json);
        var list = new List<RunAttempt>(doc.RootElement.GetArrayLength());
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            list.Add(new RunAttempt(
                e.GetProperty("attempt").GetInt32(),
                Time(e, "started_at"),
                Time(e, "finished_at"),
                RunStatusNames.FromWire(Text(e, "status")) ?? RunStatus.Failed,
                Text(e, "error_kind"),
                Text(e, "error_message")));
        }
        return list;
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeMilliseconds(v.GetInt64())
            : null;
}
