using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Core.Jobs;

/// <summary>Domain → wire.</summary>
public static class JobMapping
{
    public static ProductJob ToContract(this Job j) => new()
    {
        Name = j.Name,
        Tag = j.Tag,
        EventType = j.EventType,
        EventTag = j.EventTag,
        Executions = j.Executions,
        Intervals = j.Cron is null ? j.IntervalMs : null,
        StartAt = j.StartAt?.ToString("O"),
        EndAt = j.EndAt?.ToString("O"),
        Input = Parse(j.InputJson),
        Overlap = j.Overlap.ToWire(),
        Misfire = j.Misfire.ToWire(),
        Retries = new RetryOptions { MaxAttempts = j.Retries.MaxAttempts, BackoffMs = j.Retries.BackoffMs, MaxBackoffMs = j.Retries.MaxBackoffMs },
        TimeoutMs = j.TimeoutMs,
        Status = j.Status.ToWire(),
        ExecutionsDone = j.ExecutionsDone,
        NextRunAt = j.ScheduledDueAt,
        LastRunAt = j.LastRunAt,
        LastRunStatus = j.LastRunStatus,
        Running = j.InFlight > 0,
        CreatedAt = j.CreatedAt,
        UpdatedAt = j.UpdatedAt,
        Cron = j.Cron,
        TimeZone = j.TimeZone,
        JitterMs = j.JitterMs,
        CatchUpLimit = j.CatchUpLimit,
    };

    public static JobRun ToContract(this Run r) => new()
    {
        Id = r.Id,
        JobTag = r.JobTag,
        Slot = r.Slot,
        Attempt = r.Attempt,
        ScheduledAt = r.ScheduledAt,
        StartedAt = r.StartedAt,
        FinishedAt = r.FinishedAt,
        DurationMs = r.DurationMs,
        Node = r.Node,
        Status = r.Status.ToWire(),
        Error = r.ErrorMessage is null && r.ErrorKind is null ? null : new RunError { Message = r.ErrorMessage, Kind = r.ErrorKind },
        Output = Parse(r.OutputJson),
        SkippedCount = r.Status == RunStatus.Skipped ? Math.Max(1, r.SkippedCount) : null,
        Attempts = r.PreviousAttempts.Count == 0 ? null : [.. r.PreviousAttempts.Select(a => new JobRunAttempt
        {
            Attempt = a.Attempt,
            StartedAt = a.StartedAt,
            FinishedAt = a.FinishedAt,
            Status = a.Status.ToWire(),
            Error = a.ErrorMessage is null && a.ErrorKind is null ? null : new RunError { Message = a.ErrorMessage, Kind = a.ErrorKind },
        })],
    };

    /// <summary>A page of jobs on the wire: the same cursor, the jobs mapped.</summary>
    public static Page<ProductJob> ToContract(this PageResult<Job> page) => new() { Items = [.. page.Items.Select(ToContract)], NextCursor = page.NextCursor };

    /// <summary>A page of runs on the wire: the same cursor, the runs mapped.</summary>
    public static Page<JobRun> ToContract(this PageResult<Run> page) => new() { Items = [.. page.Items.Select(ToContract)], NextCursor = page.NextCursor };

    public static JobStatus? ParseStatus(string? s) => s switch
    {
        JobStatuses.Active => JobStatus.Active,
        JobStatuses.Paused => JobStatus.Paused,
        JobStatuses.Completed => JobStatus.Completed,
        _ => null,
    };

    private static JsonElement? Parse(string? json)
    {
        if (json is null) return null;
        try { using var doc = JsonDocument.Parse(json); return doc.RootElement.Clone(); }
        catch (JsonException) { return JsonSerializer.SerializeToElement(json); }
    }
}
