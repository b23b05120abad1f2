namespace Metronome.Load;

/// <summary>Lock-free recording of lateness samples (ms) into a preallocated array.</summary>
internal sealed class LatencyRecorder(int capacity)
{
    private readonly double[] _samples = new double[capacity];
    private int _count;

    public int Count => Math.Min(Volatile.Read(ref _count), _samples.Length);

    public void Record(double ms)
    {
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < _samples.Length) _samples[i] = ms;
    }

    public (double P50, double P99, double Max) Percentiles()
    {
        var n = Count;
        if (n == 0) return (double.NaN, double.NaN, double.NaN);
        var sorted = _samples[..n];
        Array.Sort(sorted);
        return (sorted[(int)(n * 0.50)], sorted[Math.Min(n - 1, (int)(n * 0.99))], sorted[n - 1]);
    }
}
