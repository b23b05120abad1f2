using Metronome.Core.Jobs;

namespace Metronome.Core.Scheduling;

/// <summary>Exponential backoff with jitter, as pure maths.</summary>
public static class RetryDelay
{
    /// <summary>Jitter spreads each delay over ±20 % so that many failing jobs do not retry in lock step.</summary>
    public const double JitterFraction = 0.2;

    /// <param name="policy">The job's retry policy.</param>
    /// <param name="failedAttempt">The attempt that just failed (1-based).</param>
    /// <param name="random01">A random number in [0, 1).</param>
    public static TimeSpan For(RetryPolicy policy, int failedAttempt, double random01)
    {
        double exponential = policy.BackoffMs * Math.Pow(2, Math.Max(0, failedAttempt - 1));
        double capped = Math.Min(exponential, policy.MaxBackoffMs);
        double jittered = capped * (1 - JitterFraction + 2 * JitterFraction * random01);
        return TimeSpan.FromMilliseconds(Math.Clamp(jittered, 0, policy.MaxBackoffMs));
    }

    /// <summary>True when another attempt of the slot may run.</summary>
    public static bool HasAttemptsLeft(RetryPolicy policy, int failedAttempt) => failedAttempt < policy.MaxAttempts;
}
