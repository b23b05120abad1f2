namespace Metronome.Core.Runs;

/// <summary>
/// Version-7 GUIDs ("N" form) that strictly increase within one store, even for many runs created in the same
/// millisecond (RFC 9562 §6.2 method 1: the 12 <c>rand_a</c> bits are a counter). <see cref="Guid.CreateVersion7()"/>
/// is random within a millisecond, which would list runs of one claim out of order (runs are listed by id).
/// Every store uses one instance.
/// </summary>
public sealed class RunIdGenerator(TimeProvider time)
{
    private const int MaxCounter = 0xFFF;
    private readonly Lock _gate = new();
    private long _lastMs = -1;
    private int _counter;

    public string Next()
    {
        long ms = time.GetUtcNow().ToUnixTimeMilliseconds();
        int counter;
        lock (_gate)
        {
            if (ms > _lastMs)
                _counter = 0;
            else
            {
                // Same (or an earlier) millisecond: keep the last timestamp and count; borrow the next
                // millisecond when the counter is exhausted. Ids stay unique and ordered either way.
                ms = _lastMs;
                if (++_counter > MaxCounter)
                {
                    ms++;
                    _counter = 0;
                }
            }
            _lastMs = ms;
            counter = _counter;
        }
        ulong random = ((ulong)Random.Shared.NextInt64() & 0x3FFF_FFFF_FFFF_FFFFUL) | 0x8000_0000_0000_0000UL; // variant 10
        return string.Create(32, (ms, counter, random), static (span, s) =>
        {
            (s.ms & 0xFFFF_FFFF_FFFFL).TryFormat(span[..12], out _, "x12");
            span[12] = '7';
            s.counter.TryFormat(span[13..16], out _, "x3");
            s.random.TryFormat(span[16..], out _, "x16");
        });
    }

    /// <summary>True when <paramref name="s"/> has the shape of a run id (32 lower-case hex digits).</summary>
    public static bool IsRunId(string s) => s.Length == 32 && s.All(char.IsAsciiHexDigitLower);
}
