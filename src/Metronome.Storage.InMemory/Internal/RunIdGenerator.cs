namespace Metronome.Storage.InMemory.Internal;

/// <summary>
/// Version-7 GUIDs ("N" form) that strictly increase within this store, even for many runs created in the same
/// millisecond (RFC 9562 §6.2 method 1: the 12 <c>rand_a</c> bits are a counter), so runs list in creation order.
/// </summary>
internal sealed class RunIdGenerator(TimeProvider time)
{
    private const int MaxCounter = 0xFFF;
    private long _lastMs = -1;
    private int _counter;

    /// <summary>Not thread-safe: the store calls it under its lock.</summary>
    public string Next()
    {
        long ms = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (ms > _lastMs)
            _counter = 0;
        else
        {
            ms = _lastMs;
            if (++_counter > MaxCounter)
            {
                ms++;
                _counter = 0;
            }
        }
        _lastMs = ms;
        ulong random = ((ulong)Random.Shared.NextInt64() & 0x3FFF_FFFF_FFFF_FFFFUL) | 0x8000_0000_0000_0000UL; // variant 10
        return string.Create(32, (ms, _counter, random), static (span, s) =>
        {
            (s.ms & 0xFFFF_FFFF_FFFFL).TryFormat(span[..12], out _, "x12");
            span[12] = '7';
            s._counter.TryFormat(span[13..16], out _, "x3");
            s.random.TryFormat(span[16..], out _, "x16");
        });
    }

    public static bool IsRunId(string s) => s.Length == 32 && s.All(char.IsAsciiHexDigitLower);
}
