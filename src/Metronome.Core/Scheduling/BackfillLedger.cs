using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Core.Scheduling;

/// <summary>One slot of a job's grid and the instant it is due.</summary>
public readonly record struct GridSlot(long Slot, DateTimeOffset DueAt);

/// <summary>Slots a job's history already holds: a run of <paramref name="Slot"/>, or a skipped run standing for
/// <paramref name="Count"/> consecutive slots from it.</summary>
public readonly record struct RecordedSlots(long Slot, long Count);

/// <summary>
/// The grid slots a backfill call covers: due in [from, to) with <c>to</c> cut to now, numbered below the job's next slot (the
/// slots from <see cref="Job.NextSlot"/> on belong to the due loop), in slot order.
/// </summary>
/// <param name="Slots">The slots in range, whether or not they already have a run.</param>
/// <param name="To">The end of the range after the cut to now.</param>
public sealed record BackfillPlan(IReadOnlyList<GridSlot> Slots, DateTimeOffset To);

/// <summary>What <see cref="BackfillLedger.Claim"/> decided for one job's queued backfill runs.</summary>
/// <param name="Start">The runs to execute now (claimed by the node, in slot order).</param>
/// <param name="Next">The job with its in-flight count raised by <see cref="Start"/>, or null when nothing starts.</param>
/// <param name="JobGone">The job was deleted: every queued backfill run of it is abandoned.</param>
public sealed record BackfillClaim(IReadOnlyList<ClaimedRun> Start, Job? Next, bool JobGone);

/// <summary>
/// The rules of backfill (SPEC §6), pure and in one place for every store. A backfill call inserts one <em>queued</em> run per
/// missing slot in one transaction (status <c>running</c>, no node, not started): the unique (job, slot) index makes a slot
/// queued at most once, so a call repeated, or racing another node's, queues nothing twice, and a crash loses nothing. The
/// engine of any node then claims queued runs in slot order, at most <see cref="Bound"/> of a job in flight at once, and
/// executes them as ordinary runs (retries, hand-back at stop and recovery of a dead node's runs apply unchanged).
/// </summary>
public static class BackfillLedger
{
    /// <summary>Most grid slots one backfill call may cover.</summary>
    public const int MaxSlots = 10_000;

    /// <summary>Most executions of a job in flight at once for a backfill to start one more when the job allows overlap.</summary>
    public const int AllowOverlapBound = 4;

    /// <summary>How much earlier than <c>from</c> the grid is walked (longer than any daylight-saving shift).</summary>
    private static readonly TimeSpan WalkMargin = TimeSpan.FromHours(3);

    /// <summary>The <c>error_message</c> of queued backfill runs abandoned because their job was deleted.</summary>
    public const string JobDeletedMessage = "the job was deleted before this backfill slot ran";

    /// <summary>
    /// Executions of the job in flight (scheduled, triggered or backfilled) below which a queued backfill run may start:
    /// 1 (one at a time, in order, after anything running) for <c>overlap: skip</c> and <c>queue</c>, and
    /// <see cref="AllowOverlapBound"/> for <c>allow</c>.
    /// </summary>
    public static int Bound(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Overlap == OverlapPolicy.Allow ? AllowOverlapBound : 1;
    }

    /// <summary>
    /// The grid slots a backfill of [<paramref name="from"/>, <paramref name="to"/>) covers at <paramref name="now"/>.
    /// Throws <see cref="ValidationFailedException"/> when from is not before to, or when the range holds more than
    /// <see cref="MaxSlots"/> grid slots (counted whether or not they already have a run, so the answer does not depend on history).
    /// </summary>
    public static BackfillPlan Plan(Job job, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (from >= to) throw ValidationFailedException.For("from", "from must be before to.");
        var end = to > now ? now : to;
        var slots = new List<GridSlot>();
        // Only slots before the job's next one (those on belong to the due loop): its grid instant bounds the walk.
        var anchor = JobGrid.GridAt(job);
        var walkTo = end < anchor ? end : anchor;
        // The walk starts a little early: a cron occurrence moved to a daylight-saving jump is not found by a search that
        // starts exactly at the jump (Cronos), so the range's first slot could be missed; slots before from are dropped here.
        foreach (var (number, dueAt) in JobGrid.SlotsIn(job, from - WalkMargin, walkTo))
        {
            if (dueAt < from) continue;
            var slot = new GridSlot(number, dueAt);
            if (slot.Slot >= job.NextSlot) break;
            if (slot.Slot < 1) continue;
            if (slots.Count == MaxSlots)
                throw ValidationFailedException.For("to",
                    $"the range holds more than {MaxSlots} slots of the job's grid; at most {MaxSlots} per backfill call: split the range.");
            slots.Add(slot);
        }
        return new BackfillPlan(slots, end);
    }

    /// <summary>
    /// The queued runs to insert for the slots of <paramref name="plan"/> that no run of <paramref name="recorded"/> holds
    /// (a skipped run holds every slot it stands for), in slot order.
    /// </summary>
    public static IReadOnlyList<Run> Queue(Job job, BackfillPlan plan, IEnumerable<RecordedSlots> recorded, Func<string> newRunId)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(recorded);
        ArgumentNullException.ThrowIfNull(newRunId);
        var held = recorded.Select(r => (From: r.Slot, To: r.Slot + Math.Max(1, r.Count))).ToList();
        var runs = new List<Run>();
        foreach (var slot in plan.Slots)
        {
            if (held.Exists(h => slot.Slot >= h.From && slot.Slot < h.To)) continue;
            runs.Add(Queued(job, slot, newRunId()));
        }
        return runs;
    }

    /// <summary>A queued backfill run: <c>running</c> with no node and no start, attempt 1, scheduled at its slot's due instant.</summary>
    public static Run Queued(Job job, GridSlot slot, string runId)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new Run
        {
            Id = runId,
            JobId = job.Id,
            Product = job.Product,
            JobTag = job.Tag,
            Slot = slot.Slot,
            Attempt = 1,
            ScheduledAt = slot.DueAt,
            Status = RunStatus.Running,
        };
    }

    /// <summary>
    /// Which of a job's queued backfill runs start now on <paramref name="node"/>. <paramref name="queued"/> are its queued runs
    /// in slot order (the first <see cref="Bound"/> of them suffice). A deleted job abandons them all; a paused job starts none
    /// (they wait for the resume); otherwise the lowest slots start while the job's in-flight executions stay within
    /// <see cref="Bound"/>, each counted in flight (released by its completion as any execution) but not in executions_done.
    /// </summary>
    public static BackfillClaim Claim(Job? job, IReadOnlyList<Run> queued, string node, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(queued);
        if (job is null) return new BackfillClaim([], null, JobGone: true);
        int room = Bound(job) - job.InFlight;
        if (job.Status == JobStatus.Paused || room <= 0 || queued.Count == 0) return new BackfillClaim([], null, JobGone: false);
        var start = queued.OrderBy(r => r.Slot).Take(room)
            .Select(r => ClaimRecords.ToClaimed(job, r with { Node = node, StartedAt = now }, now)).ToList();
        return new BackfillClaim(start, job with { InFlight = job.InFlight + start.Count }, JobGone: false);
    }
}
