namespace Metronome.Core.Engine;

/// <summary>
/// Cancellation of attempts at their timeout, shared by attempts with the same deadline: a busy node starts hundreds of
/// attempts per millisecond, and a timer plus a linked source per attempt was the largest allocation of a fire. On the
/// system clock (millisecond timers anyway) a deadline is rounded up to the next millisecond, so every attempt started in
/// the same millisecond with the same timeout shares one <see cref="Deadline"/>; on any other clock (tests) deadlines
/// are exact. A deadline's token is also cancelled when the engine stops.
/// </summary>
internal sealed class AttemptTimeouts(TimeProvider time, CancellationToken stopping)
{
    private static readonly long TicksPerMs = TimeSpan.TicksPerMillisecond;
    private readonly bool _millisecondClock = ReferenceEquals(time, TimeProvider.System);
    private readonly Lock _lock = new();
    private Deadline? _current;

    /// <summary>One shared deadline: <see cref="Token"/> is cancelled at the deadline or at stop.</summary>
    internal sealed class Deadline
    {
        public required long Ticks { get; init; }
        public required CancellationTokenSource Timeout { get; init; }
        public required CancellationTokenSource Linked { get; init; }
        public CancellationToken Token => Linked.Token;
        /// <summary>True when the deadline passed (not merely stopping).</summary>
        public bool TimedOut => Timeout.IsCancellationRequested;
        internal int Users;
        internal bool Retired;
    }

    /// <summary>The deadline of an attempt starting now with <paramref name="timeoutMs"/>; pass it back to <see cref="Release"/>.</summary>
    public Deadline Acquire(int timeoutMs)
    {
        long now = time.GetUtcNow().UtcTicks;
        long ticks = now + timeoutMs * TicksPerMs;
        if (_millisecondClock) ticks = (ticks + TicksPerMs - 1) / TicksPerMs * TicksPerMs;
        lock (_lock)
        {
            if (_current is { } current && current.Ticks == ticks)
            {
                current.Users++;
                return current;
            }
            if (_current is { } old)
            {
                old.Retired = true;
                if (old.Users == 0) Dispose(old);
            }
            var timeout = new CancellationTokenSource(TimeSpan.FromTicks(ticks - now), time);
            var deadline = new Deadline
            {
                Ticks = ticks, Timeout = timeout, Linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping), Users = 1,
            };
            _current = deadline;
            return deadline;
        }
    }

    public void Release(Deadline deadline)
    {
        lock (_lock)
            if (--deadline.Users == 0 && deadline.Retired) Dispose(deadline);
    }

    private static void Dispose(Deadline d)
    {
        d.Linked.Dispose();
        d.Timeout.Dispose();
    }
}
