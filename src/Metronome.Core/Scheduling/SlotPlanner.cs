using Metronome.Core.Jobs;

namespace Metronome.Core.Scheduling;

/// <summary>
/// A slot the plan records: fired (a run is claimed) or skipped (recorded, not counted). A skipped entry may stand for
/// <paramref name="Count"/> consecutive slots from <paramref name="Slot"/> (shed because the job was behind its grid).
/// <paramref name="Misfire"/> marks slots shed by <c>misfire: catch_up</c> beyond the job's <c>catch_up_limit</c> (kind <c>misfire</c>).
/// </summary>
internal readonly record struct PlannedSlot(long Slot, DateTimeOffset ScheduledAt, bool Skipped, long Count = 1, bool Misfire = false);

/// <summary>
/// What to do with a job that may be due: the slots to record now and the job's next state.
/// <paramref name="Blocked"/> means a slot is due but must wait for a running execution (overlap <c>queue</c>,
/// or a misfire <c>catch_up</c> that runs missed slots one after another).
/// </summary>
internal sealed record SlotPlan(IReadOnlyList<PlannedSlot> Slots, Job Next, bool Blocked);

/// <summary>
/// Pure maths of which slots of a job to fire at a given instant. Stores call it inside the claim
/// transaction so every store (and every node) applies the same rules.
/// </summary>
internal static class SlotPlanner
{
    /// <summary>
    /// Largest number of cron occurrences one plan walks (a per-second expression missed for a month has 2.6 million): past it,
    /// the plan records what it walked (jumped over, or shed into the job's misfire run) and the job stays due, so the next
    /// claim goes on from there. The work of one claim stays bounded; slot numbers stay exact. Above the highest catch_up_limit.
    /// </summary>
    public const int MaxWalk = 20_000;

    /// <param name="job">The job as stored.</param>
    /// <param name="now">The deciding clock (the database's in a cluster).</param>
    /// <param name="misfireThreshold">A slot later than this is a misfire and follows the job's misfire policy.</param>
    /// <param name="maxSlots">Upper bound of slots recorded in one plan (catch-up of a long outage is spread over claims).</param>
    public static SlotPlan Plan(Job job, DateTimeOffset now, TimeSpan misfireThreshold, int maxSlots = 64)
    {
        if (job.ScheduledDueAt is not { } due || due > now)
            return new SlotPlan([], job, Blocked: false);

        if (job.EndAt is { } endAt && due > endAt)
            return new SlotPlan([], job with { Status = JobStatus.Completed }, Blocked: false);

        bool free = (job.InFlight == 0 || job.Overlap == OverlapPolicy.Allow) && !job.ExecutionsExhausted && now - due <= misfireThreshold && maxSlots > 0;
        if (job.Cron is null && job.JitterMs <= 0)
        {
            // The interval grid without jitter: the hot path, arithmetic only.
            var interval = TimeSpan.FromMilliseconds(job.IntervalMs);
            if ((now - due).Ticks / interval.Ticks == 0 && free)
                return PlanOne(job, due, due + interval);
        }
        else if (free)
        {
            var after = new GridCursor(job);
            after.Next();
            if (after.Due > now && after.Due != JobGrid.Never)
                return PlanOne(job, due, after.Due);
        }
        return PlanMany(job, now, misfireThreshold, maxSlots);
    }

    private static SlotPlan PlanMany(Job job, DateTimeOffset now, TimeSpan misfireThreshold, int maxSlots)
    {
        var at = new GridCursor(job);
        long dueCount = at.CountDue(now, MaxWalk, out bool capped);
        var slots = new List<PlannedSlot>();
        long done = job.ExecutionsDone;
        int inFlight = job.InFlight;
        bool blocked = false;
        bool misfire = now - at.Due > misfireThreshold;

        if (misfire && job.Misfire != MisfirePolicy.CatchUp)
        {
            if (capped)
            {
                // More missed occurrences than one plan walks: jump over those walked; the next claim goes on.
                at.Skip(dueCount);
                return Finish();
            }
            // Jump to the latest missed slot (fire_once fires it; skip leaves it unfired).
            at.Skip(dueCount - 1);
            if (job.Misfire == MisfirePolicy.Skip || (job.EndAt is { } end && at.Due > end))
            {
                at.Next();
                return Finish();
            }
            dueCount = 1;
        }
        else if (misfire && dueCount > job.CatchUpLimit)
        {
            // Catch-up runs the latest catch_up_limit missed slots; the older ones are one skipped run (kind misfire). When more
            // were missed than one plan walks, only what is surely older is shed now and the next claim goes on.
            long shed = dueCount - job.CatchUpLimit;
            if (job.EndAt is { } end) shed = Math.Min(shed, at.CountDue(end, shed, out _));
            if (shed > 0)
            {
                slots.Add(new PlannedSlot(at.Slot, at.Due, Skipped: true, shed, Misfire: true));
                at.Skip(shed);
                dueCount -= shed;
            }
            if (capped) return Finish();
        }
        else if (!misfire && job.Overlap == OverlapPolicy.Skip && inFlight == 0 && dueCount > 1 && !job.ExecutionsExhausted && maxSlots > 1)
        {
            // Behind its grid but not misfired (a node claiming late under overload): overlap skip allows one execution, so it
            // is the latest due slot, as close to its time as possible, and the earlier ones are shed as one skipped block.
            // Firing the oldest instead would make every fire of an overloaded node as late as its backlog.
            long behind = dueCount - 1;
            if (job.EndAt is { } end) behind = Math.Min(behind, at.CountDue(end, behind + 1, out _) - 1);
            if (behind > 0)
            {
                slots.Add(new PlannedSlot(at.Slot, at.Due, Skipped: true, behind));
                at.Skip(behind);
                dueCount -= behind;
            }
        }

        for (long i = 0; i < dueCount && slots.Count < maxSlots; i++)
        {
            if (job.EndAt is { } end && at.Due > end) break;
            if (job.Executions > 0 && done >= job.Executions) break;
            bool sequential = misfire && job.Misfire == MisfirePolicy.CatchUp && job.Overlap != OverlapPolicy.Allow;
            if (inFlight > 0 && (sequential || job.Overlap == OverlapPolicy.Queue))
            {
                blocked = true;
                break;
            }
            bool skipped = inFlight > 0 && job.Overlap == OverlapPolicy.Skip;
            slots.Add(new PlannedSlot(at.Slot, at.Due, skipped));
            if (!skipped)
            {
                done++;
                inFlight++;
            }
            at.Next();
        }
        return Finish();

        SlotPlan Finish()
        {
            var next = job with { NextSlot = at.Slot, NextDueAt = at.Due, ExecutionsDone = done, InFlight = inFlight };
            if (((next.EndAt is { } e && next.NextDueAt > e) || next.NextDueAt == JobGrid.Never) && next.InFlight == 0)
                next = next with { Status = JobStatus.Completed };
            return new SlotPlan(slots, next, blocked);
        }
    }

    /// <summary>
    /// The common case, one slot due and nothing in the way (nothing running, or overlap allowed): the same result as the general path (the slot fires, the job
    /// advances one slot), with one array of one slot instead of a growing list.
    /// </summary>
    private static SlotPlan PlanOne(Job job, DateTimeOffset due, DateTimeOffset nextDue)
    {
        var next = job with { NextSlot = job.NextSlot + 1, NextDueAt = nextDue, ExecutionsDone = job.ExecutionsDone + 1, InFlight = job.InFlight + 1 };
        return new SlotPlan([new PlannedSlot(job.NextSlot, due, Skipped: false)], next, Blocked: false);
    }

    /// <summary>The first grid point strictly after <paramref name="now"/> (used by resume), or the due time itself if it is still ahead.</summary>
    public static (long Slot, DateTimeOffset DueAt) NextGridPointAfter(long slot, DateTimeOffset due, long intervalMs, DateTimeOffset now)
    {
        if (due > now) return (slot, due);
        var interval = TimeSpan.FromMilliseconds(intervalMs);
        long k = (now - due).Ticks / interval.Ticks + 1;
        return (slot + k, due + interval * k);
    }
}
