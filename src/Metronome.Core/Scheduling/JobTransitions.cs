using Metronome.Core.Jobs;

namespace Metronome.Core.Scheduling;

/// <summary>Pure state changes of a job by user commands (create, update, pause, resume).</summary>
internal static class JobTransitions
{
    public static Job Create(string product, JobSpec spec, DateTimeOffset now)
    {
        var firstDue = spec.StartAt is { } start ? (start < now ? now : start) : now + TimeSpan.FromMilliseconds(spec.IntervalMs);
        return new Job
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
            OnFailure = spec.OnFailure,
            PauseAfterFailures = spec.PauseAfterFailures,
            Status = spec.EndAt is { } end && end < firstDue ? JobStatus.Completed : JobStatus.Active,
            NextSlot = 1,
            NextDueAt = firstDue,
            CreatedAt = now,
            UpdatedAt = now,
        };
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
            OnFailure = c.ClearOnFailure ? null : c.OnFailure ?? job.OnFailure,
            PauseAfterFailures = c.PauseAfterFailures ?? job.PauseAfterFailures,
            UpdatedAt = now,
        };
        if (c.StartAt is { } start)
            next = next with { NextDueAt = start < now ? now : start };
        else if (c.IntervalMs is { } interval && interval != job.IntervalMs)
        {
            var due = (job.LastRunAt ?? now) + TimeSpan.FromMilliseconds(interval);
            next = next with { NextDueAt = due < now ? now : due };
        }

        if (next.ExecutionsExhausted || (next.EndAt is { } end && next.NextDueAt > end && next.InFlight == 0))
            return next with { Status = JobStatus.Completed };
        if (job.Status == JobStatus.Completed)
            return Realign(next with { Status = JobStatus.Active }, now);
        return next;
    }

    /// <summary>
    /// Pauses an active job; with <paramref name="until"/> the leader resumes it then (<see cref="ResumeAt"/>). Pausing a job
    /// already paused only sets its <c>until</c> (a pause without one makes it indefinite). A completed job stays completed.
    /// </summary>
    public static Job Pause(Job job, DateTimeOffset now, DateTimeOffset? until = null) => job.Status switch
    {
        JobStatus.Active => job with { Status = JobStatus.Paused, PausedUntil = until, UpdatedAt = now },
        JobStatus.Paused when job.PausedUntil != until => job with { PausedUntil = until, UpdatedAt = now },
        _ => job,
    };

    /// <summary>
    /// On resume the next slot is the next grid point after now; slots passed while paused are not run. A pending
    /// <c>until</c> is cleared. <c>consecutive_failures</c> is kept: a job paused by <c>pause_after_failures</c> that fails
    /// again after the resume pauses again at once (see docs/jobs.md, Failure handling).
    /// </summary>
    public static Job Resume(Job job, DateTimeOffset now) =>
        job.Status == JobStatus.Paused ? Realign(job with { Status = JobStatus.Active, PausedUntil = null, UpdatedAt = now }, now) : job;

    /// <summary>The leader's timed resume: a paused job whose <c>until</c> has passed by <paramref name="now"/> resumes, else it stays.</summary>
    public static Job ResumeAt(Job job, DateTimeOffset now) =>
        job.Status == JobStatus.Paused && job.PausedUntil is { } until && until <= now ? Resume(job, now) : job;

    private static Job Realign(Job job, DateTimeOffset now)
    {
        var (slot, due) = SlotPlanner.NextGridPointAfter(job.NextSlot, job.NextDueAt, job.IntervalMs, now);
        return job with { NextSlot = slot, NextDueAt = due };
    }
}
