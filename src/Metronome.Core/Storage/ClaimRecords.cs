using Metronome.Core.Execution;
using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;

namespace Metronome.Core.Storage;

/// <summary>The run records <see cref="JobLedger"/> decides (claimed, skipped, triggered), built in this one place.</summary>
internal static class ClaimRecords
{
    /// <summary>A claimed grid slot: attempt 1, running on <paramref name="node"/>.</summary>
    public static Run Fired(Job job, PlannedSlot slot, string runId, string node) => new()
    {
        Id = runId,
        JobId = job.Id,
        Product = job.Product,
        JobTag = job.Tag,
        Slot = slot.Slot,
        Attempt = 1,
        ScheduledAt = slot.ScheduledAt,
        StartedAt = slot.ScheduledAt, // an estimate until the attempt reports its real start
        Node = node,
        Status = RunStatus.Running,
    };

    /// <summary>
    /// <paramref name="count"/> consecutive slots from <paramref name="slot"/> skipped by <c>overlap: skip</c> (the previous
    /// execution still ran, or the job was behind its grid and its latest due slot fired instead): one run, not counted.
    /// </summary>
    public static Run Skipped(Job job, PlannedSlot slot, long count, string runId, string node, DateTimeOffset now) => new()
    {
        Id = runId,
        JobId = job.Id,
        Product = job.Product,
        JobTag = job.Tag,
        Slot = slot.Slot,
        Attempt = 0,
        ScheduledAt = slot.ScheduledAt,
        StartedAt = now,
        FinishedAt = now,
        Node = node,
        Status = RunStatus.Skipped,
        ErrorMessage = "the previous execution was still running, or a later slot fired instead (overlap: skip)",
        ErrorKind = ErrorKinds.Overlap,
        SkippedCount = count,
    };

    /// <summary>
    /// <paramref name="count"/> consecutive missed slots from <paramref name="slot"/> older than the job's <c>catch_up_limit</c>
    /// latest ones (<c>misfire: catch_up</c>): one run, not counted.
    /// </summary>
    public static Run Misfired(Job job, PlannedSlot slot, long count, string runId, string node, DateTimeOffset now) =>
        Skipped(job, slot, count, runId, node, now) with
        {
            ErrorMessage = $"missed while no node ran the job, older than the latest {job.CatchUpLimit} missed slots (misfire: catch_up, catch_up_limit)",
            ErrorKind = ErrorKinds.Misfire,
        };

    /// <summary>An extra execution now: slot 0, otherwise a claimed slot due now.</summary>
    public static Run Triggered(Job job, string runId, string node, DateTimeOffset now) =>
        Fired(job, new PlannedSlot(0, now, Skipped: false), runId, node);

    /// <summary>What the dispatcher needs to run an attempt of <paramref name="run"/> at <paramref name="runAt"/>.</summary>
    public static ClaimedRun ToClaimed(Job job, Run run, DateTimeOffset runAt) => new()
    {
        Run = run,
        JobName = job.Name,
        EventType = job.EventType,
        EventTag = job.EventTag,
        InputJson = job.InputJson,
        TimeoutMs = job.TimeoutMs,
        Retries = job.Retries,
        RunAt = runAt,
    };
}
