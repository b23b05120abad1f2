using Metronome.Core.Scheduling;

namespace Metronome.Core.Jobs;

/// <summary>The validated schedule fields of a request (cron schedules, SPEC §6).</summary>
internal readonly record struct CronFields(string? Cron, string? TimeZone, long? JitterMs, int? CatchUpLimit);

internal static partial class JobValidator
{
    /// <summary>Largest <c>jitter_ms</c>: one hour.</summary>
    public const long MaxJitterMs = 3_600_000;

    /// <summary>Largest <c>catch_up_limit</c> (below <see cref="SlotPlanner.MaxWalk"/>, so one claim always sheds something).</summary>
    public const int MaxCatchUpLimit = 10_000;

    /// <summary>
    /// Checks cron, time_zone, jitter_ms and catch_up_limit of a create (<paramref name="intervals"/> as given) or an update
    /// (<paramref name="current"/> the job as stored: a jitter is checked against the interval the job will have).
    /// </summary>
    private static CronFields ParseCronFields(string? cron, string? timeZone, long? jitterMs, long? catchUpLimit, long? intervals,
        bool create, Job? current, DateTimeOffset now, ValidationErrors e)
    {
        if (cron is not null && intervals is not null)
        {
            e.Add("cron", "give exactly one of intervals and cron, not both.");
            e.Add("intervals", "give exactly one of intervals and cron, not both.");
        }
        TimeZoneInfo? zone = null;
        if (timeZone is not null && (zone = CronSchedule.TryZone(timeZone)) is null)
            e.Add("time_zone", $"time_zone \"{timeZone}\" is not a known IANA time zone (for example UTC, Europe/Berlin, America/New_York).");
        if (cron is not null)
        {
            var expression = CronSchedule.TryParse(cron, out var error);
            if (expression is null) e.Add("cron", error!);
            else if (expression.GetNextOccurrence(now, zone ?? TimeZoneInfo.Utc) is null) e.Add("cron", $"cron \"{cron.Trim()}\" never fires.");
        }
        if (jitterMs is { } j)
        {
            long? interval = intervals ?? (cron is null && current is { Cron: null } ? current.IntervalMs : null);
            if (j < 0 || j > MaxJitterMs) e.Add("jitter_ms", $"jitter_ms must be between 0 and {MaxJitterMs}.");
            else if (interval is { } i && j >= i) e.Add("jitter_ms", "jitter_ms must be less than intervals (slots stay in order).");
        }
        else if (!create && intervals is { } i && current is { JitterMs: > 0 } && current.JitterMs >= i)
            e.Add("jitter_ms", "jitter_ms must be less than intervals (slots stay in order): lower jitter_ms with the new intervals.");
        if (catchUpLimit is { } l && (l < 0 || l > MaxCatchUpLimit))
            e.Add("catch_up_limit", $"catch_up_limit must be between 0 and {MaxCatchUpLimit}.");
        return new CronFields(cron?.Trim(), timeZone, jitterMs, (int?)catchUpLimit);
    }
}

/// <summary>A validated schedule to preview.</summary>
internal sealed record PreviewSpec(string? Cron, string TimeZone, long IntervalMs, DateTimeOffset? StartAt);

internal static partial class JobValidator
{
    public static PreviewSpec ValidatePreview(Metronome.Contracts.SchedulePreviewRequest r, JobLimits limits, DateTimeOffset now)
    {
        var e = new ValidationErrors();
        if (r.Intervals is null && r.Cron is null) e.Add("cron", "cron or intervals is required: give exactly one of intervals and cron.");
        else if (r.Intervals is { } i) CheckIntervals(i, limits, e);
        var cron = ParseCronFields(r.Cron, r.TimeZone, null, null, r.Intervals, create: true, current: null, now, e);
        var start = ParseInstant(r.StartAt, "start_at", now, e);
        e.ThrowIfAny();
        return new PreviewSpec(cron.Cron, cron.TimeZone ?? "UTC", r.Intervals ?? 0, start);
    }
}
