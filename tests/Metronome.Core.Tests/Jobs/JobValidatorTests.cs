using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Jobs;

namespace Metronome.Core.Tests.Jobs;

public sealed class JobValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static ProductJob Valid() => new()
    {
        Name = "Example Job", Tag = "example_job", EventType = "ACTION", EventTag = "action_tag", Executions = 5, Intervals = 60000,
    };

    [Fact]
    public void Seed_example_is_valid_and_normalised()
    {
        var spec = JobValidator.ValidateCreate(Valid(), new JobLimits(), Now);
        Assert.Equal("action", spec.EventType);
        Assert.Equal(OverlapPolicy.Skip, spec.Overlap);
        Assert.Equal(MisfirePolicy.FireOnce, spec.Misfire);
        Assert.Equal(30_000, spec.TimeoutMs);
        Assert.Equal("{}", spec.InputJson);
    }

    public static TheoryData<string, Action<ProductJob>> InvalidFields() => new()
    {
        { "name", j => j.Name = "" },
        { "name", j => j.Name = new string('x', 201) },
        { "tag", j => j.Tag = "Bad Tag" },
        { "tag", j => j.Tag = null },
        { "event_type", j => j.EventType = "cron" },
        { "event_tag", j => j.EventTag = "" },
        { "executions", j => j.Executions = -1 },
        { "executions", j => j.Executions = 1_000_000_001 },
        { "executions", j => j.Executions = null },
        { "intervals", j => j.Intervals = 99 },
        { "intervals", j => j.Intervals = 31_622_400_001 },
        { "intervals", j => j.Intervals = null },
        { "start_at", j => j.StartAt = "tomorrow-ish" },
        { "end_at", j => { j.StartAt = "2026-02-01T00:00:00Z"; j.EndAt = "2026-01-15T00:00:00Z"; } },
        { "input", j => j.Input = JsonSerializer.SerializeToElement(new[] { 1, 2 }) },
        { "overlap", j => j.Overlap = "sometimes" },
        { "misfire", j => j.Misfire = "never" },
        { "retries.max_attempts", j => j.Retries = new RetryOptions { MaxAttempts = 0 } },
        { "retries.backoff_ms", j => j.Retries = new RetryOptions { BackoffMs = -5 } },
        { "timeout_ms", j => j.TimeoutMs = 0 },
    };

    [Theory]
    [MemberData(nameof(InvalidFields))]
    public void Each_invalid_field_is_named(string field, Action<ProductJob> breakIt)
    {
        var job = Valid();
        breakIt(job);
        var ex = Assert.Throws<ValidationFailedException>(() => JobValidator.ValidateCreate(job, new JobLimits(), Now));
        Assert.Contains(field, ex.Errors.Keys);
    }

    [Fact]
    public void Minimum_interval_is_configurable()
    {
        var job = Valid();
        job.Intervals = 1;
        Assert.Equal(1, JobValidator.ValidateCreate(job, new JobLimits { MinIntervalMs = 1 }, Now).IntervalMs);
    }

    [Fact]
    public void Now_start_at_is_the_current_instant()
    {
        var job = Valid();
        job.StartAt = "now";
        Assert.Equal(Now, JobValidator.ValidateCreate(job, new JobLimits(), Now).StartAt);
    }
}
