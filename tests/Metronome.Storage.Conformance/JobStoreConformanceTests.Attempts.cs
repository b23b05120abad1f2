using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task Retried_attempts_are_kept_as_earlier_attempts_of_the_run()
    {
        var job = await CreateAsync(NewJob("retried", maxAttempts: 3));
        var first = (await ClaimAsync(At(1), job.Id)).Runs[0];
        var second = first with { Run = first.Run with { Attempt = 2 } };
        var third = first with { Run = first.Run with { Attempt = 3 } };

        await Jobs.CompleteRunsAsync([Attempt(first, RunStatus.Failed, At(1), At(1.1), "HTTP 500", "http_status", At(2))], default);
        await Jobs.CompleteRunsAsync([Attempt(second, RunStatus.TimedOut, At(2), At(2.5), "timed out after 500 ms", "timeout", At(3))], default);
        await Jobs.CompleteRunsAsync([Attempt(third, RunStatus.Succeeded, At(3), At(3.2), null, null, null)], default);

        var run = (await Jobs.GetRunAsync(Product, first.Run.Id, default))!;
        Assert.Equal((3, RunStatus.Succeeded, At(3), At(3.2), (string?)null), (run.Attempt, run.Status, run.StartedAt, run.FinishedAt, run.ErrorKind));
        Assert.Equal(
            [
                new RunAttempt(1, At(1), At(1.1), RunStatus.Failed, "http_status", "HTTP 500"),
                new RunAttempt(2, At(2), At(2.5), RunStatus.TimedOut, "timeout", "timed out after 500 ms"),
            ],
            run.PreviousAttempts);
        var listed = Assert.Single((await Jobs.ListRunsAsync(new RunQuery(Product, "retried", null, 10, null), default)).Items);
        Assert.Equal(run.PreviousAttempts, listed.PreviousAttempts);
    }

    [Fact]
    public async Task A_first_attempt_has_no_earlier_attempts()
    {
        var job = await CreateAsync(NewJob("once", maxAttempts: 3));
        var claimed = (await ClaimAsync(At(1), job.Id)).Runs[0];

        await Jobs.CompleteRunsAsync([Attempt(claimed, RunStatus.Failed, At(1), At(1.1), "HTTP 500", "http_status", null)], default);

        var run = (await Jobs.GetRunAsync(Product, claimed.Run.Id, default))!;
        Assert.Equal((1, RunStatus.Failed, "http_status"), (run.Attempt, run.Status, run.ErrorKind));
        Assert.Empty(run.PreviousAttempts);
    }

    [Fact]
    public async Task A_reissued_lost_attempt_is_kept_as_abandoned()
    {
        var job = await CreateAsync(NewJob("lost-once", maxAttempts: 2));
        var claimed = (await ClaimAsync(At(1), job.Id)).Runs[0];

        await Jobs.RecoverRunsAsync(new RecoverParams("node-b", At(30), null), default);

        var run = (await Jobs.GetRunAsync(Product, claimed.Run.Id, default))!;
        Assert.Equal((RunStatus.Running, 2), (run.Status, run.Attempt));
        var lost = Assert.Single(run.PreviousAttempts);
        Assert.Equal((1, At(30), RunStatus.Abandoned, "abandoned"), (lost.Attempt, lost.FinishedAt, lost.Status, lost.ErrorKind));
        Assert.Equal(claimed.Run.StartedAt, lost.StartedAt);
    }

    private static RunCompletion Attempt(ClaimedRun claimed, RunStatus status, DateTimeOffset startedAt, DateTimeOffset finishedAt,
        string? message, string? kind, DateTimeOffset? retryAt) =>
        new(claimed.Run.Id, claimed.Run.JobId, claimed.Run.Attempt, status, startedAt, finishedAt, message, kind, null, retryAt, claimed.Run.Node);
}
