using Metronome.Core.Jobs;

namespace Metronome.Core.Scheduling;

/// <summary>
/// The grid of a job: its slots and their due instants, for interval and cron jobs alike. Slot numbers are those the planner
/// gives: the job keeps (<see cref="Job.NextSlot"/>, <see cref="Job.NextDueAt"/>) as its anchor, later slots follow it
/// (one interval, or the next cron occurrence, each), earlier ones precede it. A slot's due instant is its grid instant plus
/// the job's jitter offset for that slot (<see cref="Jitter"/>).
/// </summary>
public static class JobGrid
{
    /// <summary>The grid instant of an expression that has no further occurrence (the job is never due again).</summary>
    public static readonly DateTimeOffset Never = DateTimeOffset.MaxValue;

    /// <summary>Largest number of past cron occurrences <see cref="SlotsIn"/> walks to number the slots before the anchor.</summary>
    public const int MaxPastWalk = 1_000_000;

    /// <summary>
    /// The job's grid slots whose due instant lies in [<paramref name="from"/>, <paramref name="to"/>), in order, from the
    /// job's first slot on (slot numbers ≥ 1, grid instants not before the job's start). Lazy for the slots after the anchor;
    /// the cron slots before it are numbered back from it (at most <see cref="MaxPastWalk"/> occurrences walked).
    /// </summary>
    public static IEnumerable<(long Slot, DateTimeOffset DueAt)> SlotsIn(Job job, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(job);
        return to <= from ? [] : Walk(job, from, to);
    }

    /// <summary>
    /// The next <paramref name="count"/> grid instants of the job after <paramref name="now"/> (jitter not included: a run's
    /// <c>scheduled_at</c> is its instant plus up to <see cref="Job.JitterMs"/>), within <see cref="Job.EndAt"/> and the
    /// executions left. Empty when the job is not active.
    /// </summary>
    public static IReadOnlyList<DateTimeOffset> NextRuns(Job job, DateTimeOffset now, int count)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.ScheduledDueAt is null || count <= 0) return [];
        if (job.Executions > 0) count = (int)Math.Min(count, job.Executions - job.ExecutionsDone);
        var list = new List<DateTimeOffset>(Math.Max(0, count));
        var raw = GridAt(job);
        if (raw <= now)
        {
            if (job.Cron is null)
            {
                var interval = TimeSpan.FromMilliseconds(job.IntervalMs);
                raw += interval * ((now - raw).Ticks / interval.Ticks + 1);
            }
            else raw = NextCron(job.Cron, job.TimeZone, now, inclusive: false);
        }
        while (list.Count < count && raw != Never && (job.EndAt is not { } end || raw <= end))
        {
            list.Add(raw);
            raw = After(job, raw);
        }
        return list;
    }

    /// <summary>
    /// The first <paramref name="count"/> instants of a schedule not saved yet (the dashboard's preview): a cron expression's
    /// occurrences at or after <paramref name="start"/>, or an interval grid from <paramref name="start"/> (when given) or
    /// from <paramref name="now"/> + intervals, as a new job would have.
    /// </summary>
    internal static IReadOnlyList<DateTimeOffset> Preview(string? cron, string timeZone, long intervalMs, DateTimeOffset? start, DateTimeOffset now, int count)
    {
        var list = new List<DateTimeOffset>(count);
        var from = start is { } s && s > now ? s : now;
        if (cron is null)
        {
            var interval = TimeSpan.FromMilliseconds(intervalMs);
            var first = start is null ? now + interval : from;
            for (int i = 0; i < count; i++) list.Add(first + interval * i);
            return list;
        }
        var at = NextCron(cron, timeZone, from, inclusive: true);
        while (list.Count < count && at != Never)
        {
            list.Add(at);
            at = NextCron(cron, timeZone, at, inclusive: false);
        }
        return list;
    }

    /// <summary>The jitter offset of <paramref name="slot"/>: in [0, <see cref="Job.JitterMs"/>] ms, the same on every node.</summary>
    public static TimeSpan Jitter(Job job, long slot)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.JitterMs <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(JitterMs(job.Product, job.Tag, job.JitterMs, slot));
    }

    /// <summary>Deterministic offset: FNV-1a of (product, tag) mixed with the slot (splitmix64), modulo jitter + 1.</summary>
    internal static long JitterMs(string product, string tag, long jitterMs, long slot)
    {
        ulong h = 14695981039346656037UL;
        foreach (var c in product) h = (h ^ c) * 1099511628211UL;
        h = (h ^ '/') * 1099511628211UL;
        foreach (var c in tag) h = (h ^ c) * 1099511628211UL;
        ulong x = h ^ (ulong)slot;
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (long)(x % (ulong)(jitterMs + 1));
    }

    /// <summary>The due instant (grid instant + jitter) of <paramref name="slot"/> at grid instant <paramref name="raw"/>.</summary>
    internal static DateTimeOffset Due(Job job, long slot, DateTimeOffset raw) =>
        job.JitterMs <= 0 || raw == Never ? raw : raw + Jitter(job, slot);

    /// <summary>The grid instant of the job's next slot (its due instant without the jitter).</summary>
    internal static DateTimeOffset GridAt(Job job) =>
        job.JitterMs <= 0 || job.NextDueAt == Never ? job.NextDueAt : job.NextDueAt - Jitter(job, job.NextSlot);

    /// <summary>The grid instant of the slot after the one at <paramref name="raw"/>.</summary>
    internal static DateTimeOffset After(Job job, DateTimeOffset raw) =>
        raw == Never ? Never : job.Cron is null ? raw + TimeSpan.FromMilliseconds(job.IntervalMs) : NextCron(job.Cron, job.TimeZone, raw, inclusive: false);

    /// <summary>The first occurrence of the expression after (or at, when inclusive) <paramref name="from"/>; <see cref="Never"/> when none.</summary>
    internal static DateTimeOffset NextCron(string cron, string timeZone, DateTimeOffset from, bool inclusive) =>
        CronSchedule.Parse(cron).GetNextOccurrence(from, CronSchedule.Zone(timeZone), inclusive) ?? Never;

    /// <summary>Where a cron job's grid begins: its start (creation time by default, a past start counts from creation).</summary>
    internal static DateTimeOffset Origin(Job job) => job.StartAt is { } s && s > job.CreatedAt ? s : job.CreatedAt;

    /// <summary>
    /// The first slot (and its grid instant) whose grid instant is after <paramref name="now"/>, or the next slot when its due
    /// instant is still ahead. Cron slots are numbered by counting the occurrences passed, at most <see cref="MaxPastWalk"/>:
    /// past that (a per-second job paused for weeks) the number jumps by that much, still monotonic and unique.
    /// </summary>
    internal static (long Slot, DateTimeOffset Raw) NextGridPointAfter(Job job, DateTimeOffset now)
    {
        var raw = GridAt(job);
        if (job.NextDueAt > now || raw == Never) return (job.NextSlot, raw);
        if (job.Cron is null)
        {
            var interval = TimeSpan.FromMilliseconds(job.IntervalMs);
            long k = (now - raw).Ticks / interval.Ticks + 1;
            return (job.NextSlot + k, raw + interval * k);
        }
        long passed = 0;
        foreach (var _ in CronSchedule.Parse(job.Cron).GetOccurrences(raw, now, CronSchedule.Zone(job.TimeZone), fromInclusive: true, toInclusive: true))
            if (++passed >= MaxPastWalk) break;
        return (job.NextSlot + passed, NextCron(job.Cron, job.TimeZone, now, inclusive: false));
    }

    private static IEnumerable<(long Slot, DateTimeOffset DueAt)> Walk(Job job, DateTimeOffset from, DateTimeOffset to)
    {
        var anchor = GridAt(job);
        long anchorSlot = job.NextSlot;
        var lowest = from - TimeSpan.FromMilliseconds(Math.Max(0, job.JitterMs));
        long slot;
        DateTimeOffset raw;
        if (job.Cron is null)
        {
            var interval = TimeSpan.FromMilliseconds(job.IntervalMs);
            long back = lowest < anchor ? (anchor - lowest).Ticks / interval.Ticks : 0;
            back = Math.Min(back, anchorSlot - 1);
            slot = anchorSlot - back;
            raw = anchor - interval * back;
        }
        else
        {
            var origin = Origin(job);
            if (lowest < origin) lowest = origin;
            if (lowest < anchor && anchor != Never)
            {
                var past = new List<DateTimeOffset>();
                var zone = CronSchedule.Zone(job.TimeZone);
                foreach (var o in CronSchedule.Parse(job.Cron).GetOccurrences(lowest, anchor, zone, fromInclusive: true, toInclusive: false))
                {
                    if (past.Count >= MaxPastWalk) break;
                    past.Add(o);
                }
                long first = anchorSlot - past.Count;
                for (int i = 0; i < past.Count; i++)
                {
                    long s = first + i;
                    if (s < 1) continue;
                    var due = Due(job, s, past[i]);
                    if (due >= to) continue;
                    if (due >= from) yield return (s, due);
                }
            }
            slot = anchorSlot;
            raw = anchor;
        }
        while (raw < to && raw != Never)
        {
            var due = Due(job, slot, raw);
            if (due < to && due >= from) yield return (slot, due); // a slot whose jitter puts it past to is left out, and the walk goes on
            slot++;
            raw = After(job, raw);
        }
    }
}
