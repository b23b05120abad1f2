using Metronome.Core.Jobs;
using Metronome.Core.Scheduling;

namespace Metronome.Core.Tests.Scheduling;

public sealed class RetryDelayTests
{
    [Theory]
    [InlineData(1, 0.5, 1000)]   // backoff × 2^0, no jitter at the midpoint
    [InlineData(2, 0.5, 2000)]
    [InlineData(3, 0.5, 4000)]
    [InlineData(10, 0.5, 10_000)] // capped at max_backoff_ms
    [InlineData(1, 0.0, 800)]     // −20 % jitter
    [InlineData(2, 0.999999, 2400)] // +20 % jitter
    public void Delay_is_exponential_capped_and_jittered(int failedAttempt, double random, int expectedMs)
    {
        var delay = RetryDelay.For(new RetryPolicy(5, 1000, 10_000), failedAttempt, random);
        Assert.InRange(delay.TotalMilliseconds, expectedMs - 1, expectedMs + 1);
    }

    [Fact]
    public void Jitter_never_exceeds_the_cap()
    {
        var delay = RetryDelay.For(new RetryPolicy(5, 1000, 1000), 4, 0.999);
        Assert.True(delay <= TimeSpan.FromMilliseconds(1000));
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(3, 2, true)]
    [InlineData(3, 3, false)]
    public void Attempts_left(int maxAttempts, int failedAttempt, bool expected) =>
        Assert.Equal(expected, RetryDelay.HasAttemptsLeft(new RetryPolicy(maxAttempts, 10, 10), failedAttempt));
}
