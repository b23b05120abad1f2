using Metronome.Core.Jobs;
using Metronome.Core.Scheduling;

namespace Metronome.Core.Tests.Scheduling;

public sealed class JobTransitionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static JobSpec Spec(DateTimeOffset? startAt = null, long executions = 5, long interval = 60_000) => new()
    {
        Name = "Example Job", Tag = "example_job", EventType = "action", EventTag = "action_tag",
        Executions = executions, IntervalMs = interval, StartAt = startAt, TimeoutMs = 30_000,
    };

    [Fact]
    public void First_slot_defaults_to_creation_plus_interval()
    {
        var job = JobTransitions.Create("shop", Spec(), Now);
        Assert.Equal(Now.AddMinutes(1), job.NextDueAt);
        Assert.Equal(1, job.NextSlot);
        Assert.Equal(JobStatus.Active, job.Status);
    }

    [Fact]
    public void Past_start_at_runs_at_once_and_future_start_at_waits()
    {
        Assert.Equal(Now, JobTransitions.Create("shop", Spec(Now.AddDays(-1)), Now).NextDueAt);
        Assert.Equal(Now.AddHours(1), JobTransitions.Create("shop", Spec(Now.AddHours(1)), Now).NextDueAt);
    }

    [Fact]
    public void New_intervals_re_anchor_on_the_last_execution()
    {
        var job = JobTransitions.Create("shop", Spec(), Now) with { LastRunAt = Now.AddSeconds(-10), NextDueAt = Now.AddSeconds(50) };
        var updated = JobTransitions.Update(job, new JobChanges { IntervalMs = 120_000 }, Now);
        Assert.Equal(Now.AddSeconds(110), updated.NextDueAt);
    }

    [Fact]
    public void New_intervals_without_a_run_re_anchor_on_now()
    {
        var job = JobTransitions.Create("shop", Spec(), Now);
        var updated = JobTransitions.Update(job, new JobChanges { IntervalMs = 120_000 }, Now.AddSeconds(5));
        Assert.Equal(Now.AddSeconds(125), updated.NextDueAt);
    }

    [Fact]
    public void Lowering_executions_to_the_done_count_completes_and_raising_reactivates()
    {
        var job = JobTransitions.Create("shop", Spec(executions: 10), Now) with { ExecutionsDone = 4 };
        var lowered = JobTransitions.Update(job, new JobChanges { Executions = 4 }, Now);
        Assert.Equal(JobStatus.Completed, lowered.Status);
        Assert.Null(lowered.ScheduledDueAt);
        var raised = JobTransitions.Update(lowered, new JobChanges { Executions = 6 }, Now.AddHours(1));
        Assert.Equal(JobStatus.Active, raised.Status);
        Assert.True(raised.NextDueAt > Now.AddHours(1));
    }

    [Fact]
    public void Resume_continues_on_the_next_grid_point_after_now()
    {
        var job = JobTransitions.Create("shop", Spec(interval: 1000), Now); // slot 1 due at Now + 1 s
        var paused = JobTransitions.Pause(job, Now);
        Assert.Equal(JobStatus.Paused, paused.Status);
        Assert.Null(paused.ScheduledDueAt);
        var resumed = JobTransitions.Resume(paused, Now.AddMilliseconds(5500));
        Assert.Equal(JobStatus.Active, resumed.Status);
        Assert.Equal(Now.AddSeconds(6), resumed.NextDueAt);
        Assert.Equal(6, resumed.NextSlot);
    }
}
