using Metronome.Core.Jobs;

namespace Metronome.Core.Scheduling;

/// <summary>Pure state changes of a job by user commands (create, update, pause, resume).</summary>
internal static class JobTransitions
{
    public static Job Create(string product, JobSpec spec, DateTimeOffset now)
    {
        // An interval job's slot 1 is at start_at (a past one: now) or now + intervals; a cron job's is the first occurrence at or
        // after start_at (a past one, or none: now).
        var firstDue = spec.Cron is not null
            ? JobGrid.NextCron(spec.Cron, spec.TimeZone, spec.StartAt is { } s && s > now ? s : now, inclusive: true)
            : spec.StartAt is { } start ? (start < now ? now : start) : now + TimeSpan.FromMilliseconds(spec.IntervalMs);
        var job = new Job
        {
            Product = product,
            Tag = spec.Tag,
            Name = spec.Name,
            EventType = spec.EventType,
            EventTag = spec.EventTag,
            Executions = spec.Executions,
            IntervalMs = spec.IntervalMs,
            StartAt = spec.StartAt,
            EndAt = spec.EndAt,
            InputJson = spec.InputJson,
            Overlap = spec.Overlap,
            Misfire = spec.Misfire,
            Retries = spec.Retries,
            TimeoutMs = spec.TimeoutMs,
            Status = spec.EndAt is { } end && end < firstDue ? JobStatus.Completed : JobStatus.Active,
            NextSlot = 1,
            NextDueAt = firstDue,
            CreatedAt = now,
            UpdatedAt = now,
            Cron = spec.Cron,
            TimeZone = spec.TimeZone,
            JitterMs = spec.JitterMs,
            CatchUpLimit = spec.CatchUpLimit,
        };
        return job.JitterMs > 0 ? job with { NextDueAt = JobGrid.Due(job, 1, firstDue) } : job;
    }

    /// <summary>
    /// Applies an update. A new <c>intervals</c> re-anchors the grid at last execution (or now) + new intervals;
    /// a new <c>start_at</c> moves the next slot there; lowering <c>executions</c> to at most the done count completes
    /// the job, and raising it (or moving <c>end_at</c> ahead) reactivates a completed job on the grid after now.
    /// </summary>
    public static Job Update(Job job, JobChanges c, DateTimeOffset now)
    {
        var next = job with
        {
            Name = c.Name ?? job.Name,
            EventType = c.EventType ?? job.EventType,
            EventTag = c.EventTag ?? job.EventTag,
            Executions = c.Executions ?? job.Executions,
            IntervalMs = c.IntervalMs ?? job.IntervalMs,
            StartAt = c.StartAt ?? job.StartAt,
            EndAt = c.EndAt ?? job.EndAt,
            InputJson = c.InputJson ?? job.InputJson,
            Overlap = c.Overlap ?? job.Overlap,
            Misfire = c.Misfire ?? job.Misfire,
            Retries = c.Retries ?? job.Retries,
            TimeoutMs = c.TimeoutMs ?? job.TimeoutMs,
            UpdatedAt = now,
            Cron = c.Cron ?? (c.IntervalMs is not null ? null : job.Cron),
            TimeZone = c.TimeZone ?? job.TimeZone,
            JitterMs = c.JitterMs ?? job.JitterMs,
            CatchUpLimit = c.CatchUpLimit ?? job.CatchUpLimit,
        };
        if (next.Cron is not null) next = next with { IntervalMs = 0 };
        // The grid instant of the next slot (without jitter); the slot number stays, so slot numbers stay monotonic.
        var raw = JobGrid.GridAt(job);
        bool regrid = next.Cron != job.Cron || (next.Cron is not null && next.TimeZone != job.TimeZone) || next.IntervalMs != job.IntervalMs;
        if (c.StartAt is { } start)
        {
            var from = start < now ? now : start;
            raw = next.Cron is null ? from : JobGrid.NextCron(next.Cron, next.TimeZone, from, inclusive: true);
        }
        else if (regrid && next.Cron is not null)
            raw = JobGrid.NextCron(next.Cron, next.TimeZone, now, inclusive: false);
        else if (regrid)
        {
            var due = (job.LastRunAt ?? now) + TimeSpan.FromMilliseconds(next.IntervalMs);
            raw = due < now ? now : due;
        }
        if (c.StartAt is not null || regrid || next.JitterMs != job.JitterMs)
            next = next with { NextDueAt = JobGrid.Due(next, next.NextSlot, raw) };

        if (next.ExecutionsExhausted || (next.EndAt is { } end && next.NextDueAt > end && next.InFlight == 0))
            return next with { Status = JobStatus.Completed };
        if (job.Status == JobStatus.Completed)
            return Realign(next with { Status = JobStatus.Active }, now);
        return next;
    }

    public static Job Pause(Job job, DateTimeOffset now) =>
        job.Status == JobStatus.Active ? job with { Status = JobStatus.Paused, UpdatedAt = now } : job;

    /// <summary>On resume the next slot is the next grid point after now; slots passed while paused are not run.</summary>
    public static Job Resume(Job job, DateTimeOffset now) =>
        job.Status == JobStatus.Paused ? Realign(job with { Status = JobStatus.Active, UpdatedAt = now }, now) : job;

    private static Job Realign(Job job, DateTimeOffset now)
    {
        if (job.Cron is null && job.JitterMs <= 0)
        {
            var (slot, due) = SlotPlanner.NextGridPointAfter(job.NextSlot, job.NextDueAt, job.IntervalMs, now);
            return job with { NextSlot = slot, NextDueAt = due };
        }
        var (s, raw) = JobGrid.NextGridPointAfter(job, now);
        return job with { NextSlot = s, NextDueAt = JobGrid.Due(job, s, raw) };
    }
}
