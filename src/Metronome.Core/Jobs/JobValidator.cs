using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Metronome.Contracts;

namespace Metronome.Core.Jobs;

/// <summary>Limits a server applies to jobs (SPEC §1).</summary>
internal sealed record JobLimits
{
    /// <summary>Smallest <c>intervals</c> accepted, in ms (default 100, may be lowered to 1).</summary>
    public long MinIntervalMs { get; init; } = 100;
    public const long MaxIntervalMs = 31_622_400_000;
    public const long MaxExecutions = 1_000_000_000;
    /// <summary>Attempt timeout used when a job gives none.</summary>
    public int DefaultTimeoutMs { get; init; } = 30_000;
    public const int MaxTimeoutMs = 86_400_000;
    public const int MaxAttempts = 100;
}

/// <summary>Turns wire requests into validated domain values, naming every invalid field.</summary>
internal static partial class JobValidator
{
    // \z, not $: "$" also matches before a final "\n", which let "shop\n" pass as a tag.
    [GeneratedRegex(@"^[a-z0-9][a-z0-9_.-]{0,99}\z")]
    public static partial Regex TagPattern();

    public static JobSpec ValidateCreate(ProductJob r, JobLimits limits, DateTimeOffset now)
    {
        var e = new ValidationErrors();
        var name = RequireName(r.Name, e);
        var tag = RequireTag(r.Tag, "tag", e);
        var type = RequireEventType(r.EventType, e);
        var eventTag = RequireTag(r.EventTag, "event_tag", e);
        if (r.Executions is null) e.Add("executions", "executions is required (0 = unlimited).");
        else CheckExecutions(r.Executions.Value, e);
        if (r.Intervals is null && r.Cron is null) e.Add("intervals", "intervals (milliseconds) or cron is required: give exactly one of intervals and cron.");
        else if (r.Intervals is not null) CheckIntervals(r.Intervals.Value, limits, e);
        var cron = ParseCronFields(r.Cron, r.TimeZone, r.JitterMs, r.CatchUpLimit, r.Intervals, create: true, current: null, now, e);
        var startAt = ParseInstant(r.StartAt, "start_at", now, e);
        var endAt = ParseInstant(r.EndAt, "end_at", now, e);
        if (startAt is not null && endAt is not null && endAt < startAt) e.Add("end_at", "end_at must not be before start_at.");
        var input = ParseInput(r.Input, e);
        var overlap = ParseOverlap(r.Overlap, e) ?? OverlapPolicy.Skip;
        var misfire = ParseMisfire(r.Misfire, e) ?? MisfirePolicy.FireOnce;
        var retries = ParseRetries(r.Retries, RetryPolicy.Default, e) ?? RetryPolicy.Default;
        var timeout = ParseTimeout(r.TimeoutMs, e) ?? limits.DefaultTimeoutMs;
        e.ThrowIfAny();
        return new JobSpec
        {
            Name = name!, Tag = tag!, EventType = type!, EventTag = eventTag!,
            Executions = r.Executions!.Value, IntervalMs = r.Intervals ?? 0,
            StartAt = startAt, EndAt = endAt, InputJson = input ?? "{}",
            Overlap = overlap, Misfire = misfire, Retries = retries, TimeoutMs = timeout,
            Cron = cron.Cron, TimeZone = cron.TimeZone ?? "UTC", JitterMs = cron.JitterMs ?? 0, CatchUpLimit = cron.CatchUpLimit ?? 100,
        };
    }

    public static JobChanges ValidateUpdate(ProductJobUpdate r, RetryPolicy current, JobLimits limits, DateTimeOffset now, Job? job = null)
    {
        var e = new ValidationErrors();
        string? name = r.Name is null ? null : RequireName(r.Name, e);
        string? type = r.EventType is null ? null : RequireEventType(r.EventType, e);
        string? eventTag = r.EventTag is null ? null : RequireTag(r.EventTag, "event_tag", e);
        if (r.Executions is { } x) CheckExecutions(x, e);
        if (r.Intervals is { } i) CheckIntervals(i, limits, e);
        var startAt = ParseInstant(r.StartAt, "start_at", now, e);
        var endAt = ParseInstant(r.EndAt, "end_at", now, e);
        var input = ParseInput(r.Input, e);
        var overlap = ParseOverlap(r.Overlap, e);
        var misfire = ParseMisfire(r.Misfire, e);
        var retries = ParseRetries(r.Retries, current, e);
        var timeout = ParseTimeout(r.TimeoutMs, e);
        var cron = ParseCronFields(r.Cron, r.TimeZone, r.JitterMs, r.CatchUpLimit, r.Intervals, create: false, job, now, e);
        e.ThrowIfAny();
        return new JobChanges
        {
            Name = name, EventType = type, EventTag = eventTag, Executions = r.Executions, IntervalMs = r.Intervals,
            StartAt = startAt, EndAt = endAt, InputJson = input, Overlap = overlap, Misfire = misfire,
            Retries = retries, TimeoutMs = timeout,
            Cron = cron.Cron, TimeZone = cron.TimeZone, JitterMs = cron.JitterMs, CatchUpLimit = cron.CatchUpLimit,
        };
    }

    public static string? RequireName(string? name, ValidationErrors e, string field = "name")
    {
        if (string.IsNullOrWhiteSpace(name)) { e.Add(field, $"{field} is required."); return null; }
        if (name.Length > 200) { e.Add(field, $"{field} must be at most 200 characters."); return null; }
        // A name is shown in the dashboard, logs and CLI tables: control characters (NUL, CR, LF, ESC...) could forge
        // lines or hide text there, and "a " beside "a" looks like one name twice, so both are refused rather than cleaned.
        if (name.Any(char.IsControl)) { e.Add(field, $"{field} must not contain control characters."); return null; }
        if (name.Length != name.AsSpan().Trim().Length) { e.Add(field, $"{field} must not start or end with whitespace."); return null; }
        return name;
    }

    public static string? RequireTag(string? tag, string field, ValidationErrors e)
    {
        if (string.IsNullOrEmpty(tag)) { e.Add(field, $"{field} is required."); return null; }
        if (!TagPattern().IsMatch(tag)) { e.Add(field, $"{field} must match ^[a-z0-9][a-z0-9_.-]{{0,99}}$."); return null; }
        return tag;
    }

    public static string? RequireEventType(string? value, ValidationErrors e, string field = "event_type")
    {
        if (string.IsNullOrWhiteSpace(value)) { e.Add(field, $"{field} is required."); return null; }
        var type = JobEventTypes.Normalize(value);
        if (type is null) e.Add(field, $"{field} must be one of {string.Join(", ", JobEventTypes.All)}.");
        return type;
    }

    private static void CheckExecutions(long value, ValidationErrors e)
    {
        if (value is < 0 or > JobLimits.MaxExecutions) e.Add("executions", $"executions must be between 0 and {JobLimits.MaxExecutions} (0 = unlimited).");
    }

    private static void CheckIntervals(long value, JobLimits limits, ValidationErrors e)
    {
        if (value < limits.MinIntervalMs || value > JobLimits.MaxIntervalMs)
            e.Add("intervals", $"intervals must be between {limits.MinIntervalMs} and {JobLimits.MaxIntervalMs} milliseconds.");
    }

    private static DateTimeOffset? ParseInstant(string? value, string field, DateTimeOffset now, ValidationErrors e)
    {
        if (value is null) return null;
        if (value.Equals("now", StringComparison.OrdinalIgnoreCase)) return now;
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
            return instant;
        e.Add(field, $"{field} must be an ISO-8601 instant or \"now\".");
        return null;
    }

    private static string? ParseInput(JsonElement? input, ValidationErrors e)
    {
        if (input is not { } el || el.ValueKind == JsonValueKind.Null) return null;
        if (el.ValueKind != JsonValueKind.Object) { e.Add("input", "input must be a JSON object."); return null; }
        return el.GetRawText();
    }

    private static OverlapPolicy? ParseOverlap(string? value, ValidationErrors e) => value?.ToLowerInvariant() switch
    {
        null => null,
        "skip" => OverlapPolicy.Skip,
        "queue" => OverlapPolicy.Queue,
        "allow" => OverlapPolicy.Allow,
        _ => Invalid<OverlapPolicy>(e, "overlap", "overlap must be one of skip, queue, allow."),
    };

    private static MisfirePolicy? ParseMisfire(string? value, ValidationErrors e) => value?.ToLowerInvariant() switch
    {
        null => null,
        "fire_once" => MisfirePolicy.FireOnce,
        "skip" => MisfirePolicy.Skip,
        "catch_up" => MisfirePolicy.CatchUp,
        _ => Invalid<MisfirePolicy>(e, "misfire", "misfire must be one of fire_once, skip, catch_up."),
    };

    private static RetryPolicy? ParseRetries(RetryOptions? r, RetryPolicy current, ValidationErrors e)
    {
        if (r is null) return null;
        var attempts = r.MaxAttempts ?? current.MaxAttempts;
        var backoff = r.BackoffMs ?? current.BackoffMs;
        var maxBackoff = r.MaxBackoffMs ?? Math.Max(current.MaxBackoffMs, backoff);
        if (attempts is < 1 or > JobLimits.MaxAttempts) e.Add("retries.max_attempts", $"retries.max_attempts must be between 1 and {JobLimits.MaxAttempts}.");
        if (backoff is < 0 or > JobLimits.MaxIntervalMs) e.Add("retries.backoff_ms", "retries.backoff_ms must be between 0 and 31622400000.");
        if (maxBackoff < backoff || maxBackoff > JobLimits.MaxIntervalMs) e.Add("retries.max_backoff_ms", "retries.max_backoff_ms must be at least backoff_ms and at most 31622400000.");
        return new RetryPolicy(attempts, backoff, maxBackoff);
    }

    private static int? ParseTimeout(long? value, ValidationErrors e)
    {
        if (value is null) return null;
        if (value is < 1 or > JobLimits.MaxTimeoutMs) { e.Add("timeout_ms", $"timeout_ms must be between 1 and {JobLimits.MaxTimeoutMs}."); return null; }
        return (int)value.Value;
    }

    private static T? Invalid<T>(ValidationErrors e, string field, string message) where T : struct
    {
        e.Add(field, message);
        return null;
    }
}
