using Metronome.Core.Jobs;

namespace Metronome.Core.Scheduling;

/// <summary>
/// A position on a job's grid while planning: a slot, its grid instant and its due instant (grid + jitter). Interval steps are
/// arithmetic; cron steps ask Cronos for the next occurrence, one at a time, so walks over a cron grid are bounded by callers.
/// </summary>
internal struct GridCursor
{
    private readonly Job _job;
    private readonly TimeSpan _interval;

    public GridCursor(Job job)
    {
        _job = job;
        _interval = job.Cron is null ? TimeSpan.FromMilliseconds(job.IntervalMs) : TimeSpan.Zero;
        Slot = job.NextSlot;
        Raw = JobGrid.GridAt(job);
        Due = job.NextDueAt;
    }

    public long Slot { get; private set; }
    public DateTimeOffset Raw { get; private set; }
    public DateTimeOffset Due { get; private set; }

    /// <summary>Whether the job's grid is arithmetic (interval).</summary>
    public readonly bool Arithmetic => _job.Cron is null;

    public void Next() => Skip(1);

    public void Skip(long n)
    {
        if (n <= 0) return;
        if (Arithmetic)
        {
            Raw += _interval * n;
            Slot += n;
        }
        else
        {
            for (long i = 0; i < n && Raw != JobGrid.Never; i++) Raw = JobGrid.After(_job, Raw);
            Slot += n;
        }
        Due = JobGrid.Due(_job, Slot, Raw);
    }

    /// <summary>
    /// How many slots from this one are due at or before <paramref name="limit"/>: exact for interval grids (jitter is below
    /// the interval, so due instants keep the grid's order); for cron grids walked one occurrence at a time, at most
    /// <paramref name="cap"/> (<paramref name="capped"/> then says more may be due).
    /// </summary>
    public readonly long CountDue(DateTimeOffset limit, long cap, out bool capped)
    {
        capped = false;
        if (Due > limit) return 0;
        if (Arithmetic)
        {
            long count = (limit - Raw).Ticks / _interval.Ticks + 1;
            if (_job.JitterMs > 0 && count > 1 && JobGrid.Due(_job, Slot + count - 1, Raw + _interval * (count - 1)) > limit) count--;
            return count;
        }
        var walk = this;
        long n = 0;
        while (walk.Due <= limit)
        {
            if (n == cap) { capped = true; break; }
            n++;
            walk.Next();
        }
        return n;
    }
}
