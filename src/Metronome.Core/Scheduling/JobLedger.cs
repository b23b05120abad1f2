using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Core.Scheduling;

/// <summary>
/// The lifecycle rules of a job and its runs, decided in one place for every store: claim a slot, release a finished
/// run (and complete the job), recover an orphaned run, trigger an extra execution. Every member is pure (no I/O, the
/// clock is a parameter); a store reads what a rule needs, asks the ledger, and persists the decision. Where a store's
/// fast path writes a rule in SQL (the release UPDATE of SQLite and PostgreSQL), the conformance suite runs one table
/// of cases through the store and through the ledger, so the two cannot drift.
/// </summary>
public static class JobLedger
{
    /// <summary>The <c>error_kind</c> of a run abandoned by recovery.</summary>
    public const string AbandonedKind = "abandoned";

    /// <summary>The <c>error_message</c> of a run abandoned by recovery.</summary>
    public const string AbandonedMessage = "the node running this attempt stopped";

    /// <summary>
    /// Claims the due slots of one job at <see cref="ClaimParams.Horizon"/>: the misfire and overlap outcomes of
    /// <see cref="SlotPlanner.Plan"/>, the run records to insert (fired slots running, skipped slots finished), the runs to
    /// execute and the job's place in the due queue (none while a slot waits for a running execution). A job that is
    /// gone or not active claims nothing and leaves the queue.
    /// </summary>
    /// <param name="jobId">The job asked about.</param>
    /// <param name="job">The job as stored, or null when it does not exist.</param>
    /// <param name="p">The claim; <see cref="ClaimParams.Now"/> stamps skipped slots.</param>
    /// <param name="newRunId">The store's source of run ids, called once per run inserted (fired slot, or new skipped run).</param>
    public static SlotClaim Claim(long jobId, Job? job, ClaimParams p, Func<string> newRunId)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(newRunId);
        if (job is null || job.Status != JobStatus.Active) return SlotClaim.Nothing(jobId);

        var plan = SlotPlanner.Plan(job, p.Horizon, p.MisfireThreshold, p.MaxSlotsPerJob);
        var entry = new ScheduleEntry(jobId, plan.Blocked ? null : plan.Next.ScheduledDueAt);
        if (plan.Slots.Count == 0)
        {
            bool changed = !ReferenceEquals(plan.Next, job) && !plan.Next.Equals(job); // e.g. completed past end_at, or a misfire skip
            return new SlotClaim(jobId, changed ? plan.Next : null, [], [], entry, plan.Blocked);
        }

        if (plan.Slots is [{ Skipped: false } only]) // the common case: one slot fires
            return new SlotClaim(jobId, plan.Next, [ClaimRecords.ToClaimed(job, ClaimRecords.Fired(job, only, newRunId(), p.Node), only.ScheduledAt)], [],
                entry, plan.Blocked);

        // Runs are recorded in slot order. Consecutive skipped slots are one aggregated run; the first such block extends the
        // job's open skipped run when it continues it (nothing recorded or jumped over in between), else it is a new run.
        var runs = new List<ClaimedRun>(plan.Slots.Count);
        List<Run>? skipped = null;
        SkipExtension? extended = null;
        var next = plan.Next;
        for (int i = 0; i < plan.Slots.Count;)
        {
            var slot = plan.Slots[i++];
            if (!slot.Skipped)
            {
                runs.Add(ClaimRecords.ToClaimed(job, ClaimRecords.Fired(job, slot, newRunId(), p.Node), slot.ScheduledAt));
                continue;
            }
            long count = slot.Count;
            while (i < plan.Slots.Count && plan.Slots[i].Skipped && plan.Slots[i].Misfire == slot.Misfire) count += plan.Slots[i++].Count;
            // SkipRunNextSlot is negative when the open skipped run is a misfire run, so the two kinds never extend each other.
            long mark = slot.Misfire ? -slot.Slot : slot.Slot;
            if (next.SkipRunId is { } open && next.SkipRunNextSlot == mark && extended is null)
                extended = new SkipExtension(open, count, p.Now);
            else
            {
                var run = slot.Misfire ? ClaimRecords.Misfired(job, slot, count, newRunId(), p.Node, p.Now) : ClaimRecords.Skipped(job, slot, count, newRunId(), p.Node, p.Now);
                (skipped ??= []).Add(run);
                next = next with { SkipRunId = run.Id };
            }
            next = next with { SkipRunNextSlot = slot.Misfire ? -(slot.Slot + count) : slot.Slot + count };
        }
        return new SlotClaim(jobId, next, runs, (IReadOnlyList<Run>?)skipped ?? [], entry, plan.Blocked) { Extended = extended };
    }

    /// <summary>
    /// <paramref name="release"/>'s executions of the job finished (or were abandoned): the in-flight count drops by their
    /// number (never below zero), the last of them becomes the job's last run, and a job with nothing running and nothing
    /// left to run (executions exhausted, or its next slot past <c>end_at</c>) completes. Releasing n executions at once is
    /// the same as releasing them one by one, which is what lets the SQL stores release a batch in one UPDATE per job.
    /// </summary>
    public static Job Release(Job job, JobRelease release)
    {
        ArgumentNullException.ThrowIfNull(job);
        var next = job with
        {
            InFlight = Math.Max(0, job.InFlight - release.Count),
            LastRunAt = release.LastRunAt,
            LastRunStatus = release.LastRunStatus.ToWire(),
        };
        return next.InFlight == 0 && (next.ExecutionsExhausted || IsPastEnd(next)) ? next with { Status = JobStatus.Completed } : next;
    }

    /// <summary>One execution of the job finished: <see cref="Release(Job, JobRelease)"/> of one.</summary>
    public static Job Release(Job job, DateTimeOffset? lastRunAt, RunStatus lastRunStatus) =>
        Release(job, new JobRelease(job.Id, 1, lastRunAt, lastRunStatus));

    /// <summary>
    /// What a release announces to the due queue: a job with nothing left in flight, at its due time (none when it is not
    /// active or has exhausted its executions); null while executions of the job still run.
    /// </summary>
    public static ScheduleEntry? AfterRelease(Job released)
    {
        ArgumentNullException.ThrowIfNull(released);
        return released.InFlight == 0 ? new ScheduleEntry(released.Id, released.ScheduledDueAt) : null;
    }

    /// <summary>
    /// Whether a reported outcome applies to the run as stored: only while the run is still <c>running</c> as the attempt
    /// reported, on the node that reported it. A replayed report (its batch was written before), the late report of an
    /// attempt recovery re-issued (the next attempt, or the same pending retry on another node), or one from a node whose
    /// run was taken over while it was paused, changes nothing. The SQL stores write this rule in their WHERE clauses; the
    /// conformance suite's fencing table keeps them equal to it.
    /// </summary>
    public static bool Applies(Run run, RunCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(completion);
        return run.Status == RunStatus.Running && run.Attempt == completion.Attempt && string.Equals(run.Node, completion.Node, StringComparison.Ordinal);
    }

    /// <summary>
    /// Takes over a run left <c>running</c> by a node that stopped. A pending retry has not started: it is re-issued as is,
    /// at its retry time. An interrupted attempt counts as tried: it is re-issued now as the next attempt when attempts
    /// remain. Otherwise (or when the job is gone) the run is abandoned and, if the job still exists, released.
    /// </summary>
    /// <param name="orphan">The run with its stored retry time and attempt limit.</param>
    /// <param name="job">The run's job as it stands (after earlier decisions of the same recovery), or null when deleted.</param>
    /// <param name="node">The node taking the run over.</param>
    /// <param name="now">The recovering clock.</param>
    public static OrphanDecision Recover(Orphan orphan, Job? job, string node, DateTimeOffset now)
    {
        var run = orphan.Run;
        bool pendingRetry = orphan.RetryAt is not null;
        if (job is not null && (pendingRetry || run.Attempt < orphan.MaxAttempts))
        {
            var attempt = pendingRetry ? run.Attempt : run.Attempt + 1;
            var resumed = ClaimRecords.ToClaimed(job, run with { Attempt = attempt, Node = node }, orphan.RetryAt ?? now);
            return new OrphanDecision(resumed, null, job);
        }
        var abandoned = run with { Status = RunStatus.Abandoned, FinishedAt = now, ErrorKind = AbandonedKind, ErrorMessage = AbandonedMessage };
        return new OrphanDecision(null, abandoned, job is null ? null : Release(job, run.StartedAt, RunStatus.Abandoned));
    }

    /// <summary>
    /// A stopping node gives back an attempt it holds and will not finish: claimed and not started, or cancelled a little
    /// before the host's shutdown deadline. The run stays <c>running</c> as a pending retry of the same attempt at
    /// <see cref="RunHandBack.RunAt"/>, so whoever recovers it (another node's rescuer once this node has left the cluster,
    /// or this node's next start) re-issues it as is (<see cref="Recover"/>): the same attempt, with the same idempotency
    /// key. The job does not change (the execution is still in flight). A run no longer running, or now held by another
    /// node (taken over meanwhile), is left as it is: null.
    /// </summary>
    /// <param name="held">The run as stored, with its retry time and attempt limit.</param>
    /// <param name="back">The attempt handed back and when it should run.</param>
    /// <param name="node">The node handing it back.</param>
    public static Orphan? HandBack(Orphan held, RunHandBack back, string node)
    {
        var run = held.Run;
        if (run.Id != back.RunId || run.Status != RunStatus.Running || run.Node != node) return null;
        return held with { Run = run with { Attempt = back.Attempt }, RetryAt = back.RunAt };
    }

    /// <summary>One extra execution now: a running slot-0 run, counted in the job's executions and in flight.</summary>
    public static TriggerDecision Trigger(Job job, string runId, string node, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        var run = ClaimRecords.Triggered(job, runId, node, now);
        var next = job with { ExecutionsDone = job.ExecutionsDone + 1, InFlight = job.InFlight + 1 };
        return new TriggerDecision(run, next, ClaimRecords.ToClaimed(job, run, now));
    }

    private static bool IsPastEnd(Job job) => job.EndAt is { } end && job.NextDueAt > end;
}
