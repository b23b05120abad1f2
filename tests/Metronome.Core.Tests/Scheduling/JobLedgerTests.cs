using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Scheduling;
using Metronome.Core.Storage;

namespace Metronome.Core.Tests.Scheduling;

public sealed class JobLedgerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(5);

    private static Job NewJob(long executions = 0, int inFlight = 0, long done = 0, JobStatus status = JobStatus.Active,
        DateTimeOffset? endAt = null, OverlapPolicy overlap = OverlapPolicy.Skip, int maxAttempts = 1) => new()
    {
        Id = 7, Product = "p", Tag = "j", Name = "J", EventType = "action", EventTag = "e", IntervalMs = 1000,
        Executions = executions, InFlight = inFlight, ExecutionsDone = done, Status = status, EndAt = endAt, Overlap = overlap,
        Retries = new RetryPolicy(maxAttempts, 100, 1000), NextSlot = 1, NextDueAt = T0,
    };

    private static Func<string> Ids()
    {
        int n = 0;
        return () => $"run-{n++}";
    }

    // (executions, done, in flight, status, end_at passed, released n) → (in flight, status, announced due)
    public static TheoryData<long, long, int, JobStatus, bool, int, int, JobStatus, bool> ReleaseCases => new()
    {
        { 0, 1, 1, JobStatus.Active, false, 1, 0, JobStatus.Active, true },        // last in flight: announced at its due time
        { 0, 2, 2, JobStatus.Active, false, 1, 1, JobStatus.Active, false },       // another still runs: nothing announced
        { 0, 3, 3, JobStatus.Active, false, 3, 0, JobStatus.Active, true },        // batch of three at once
        { 0, 1, 1, JobStatus.Active, false, 4, 0, JobStatus.Active, true },        // never below zero
        { 2, 2, 2, JobStatus.Active, false, 2, 0, JobStatus.Completed, false },    // executions exhausted
        { 2, 2, 2, JobStatus.Active, false, 1, 1, JobStatus.Active, false },       // exhausted, one still running
        { 0, 1, 1, JobStatus.Active, true, 1, 0, JobStatus.Completed, false },     // next slot past end_at
        { 0, 1, 1, JobStatus.Paused, false, 1, 0, JobStatus.Paused, false },       // paused stays paused, nothing scheduled
        { 1, 1, 1, JobStatus.Paused, false, 1, 0, JobStatus.Completed, false },    // paused and exhausted completes
    };

    [Theory, MemberData(nameof(ReleaseCases))]
    public void Release_drops_in_flight_and_completes_a_job_with_nothing_left(long executions, long done, int inFlight, JobStatus status,
        bool pastEnd, int released, int expectedInFlight, JobStatus expectedStatus, bool announcedDue)
    {
        var job = NewJob(executions, inFlight, done, status, pastEnd ? T0.AddMilliseconds(-1) : null);

        var next = JobLedger.Release(job, new JobRelease(job.Id, released, T0.AddSeconds(3), RunStatus.Failed));

        Assert.Equal((expectedInFlight, expectedStatus), (next.InFlight, next.Status));
        Assert.Equal((T0.AddSeconds(3), "failed"), (next.LastRunAt, next.LastRunStatus));
        var entry = JobLedger.AfterRelease(next);
        if (expectedInFlight > 0) Assert.Null(entry);
        else Assert.Equal(new ScheduleEntry(job.Id, announcedDue ? T0 : null), entry);
    }

    [Fact]
    public void Releasing_a_batch_at_once_equals_releasing_one_by_one()
    {
        foreach (var (executions, done, inFlight) in new[] { (0L, 3L, 3), (3L, 3L, 3), (5L, 3L, 3), (2L, 2L, 1) })
            for (int n = 1; n <= inFlight + 1; n++)
            {
                var job = NewJob(executions, inFlight, done);
                var oneByOne = job;
                for (int i = 0; i < n; i++) oneByOne = JobLedger.Release(oneByOne, T0, RunStatus.Succeeded);
                Assert.Equal(oneByOne, JobLedger.Release(job, new JobRelease(job.Id, n, T0, RunStatus.Succeeded)));
            }
    }

    [Fact]
    public void Tally_counts_per_job_and_keeps_the_last_reported_run()
    {
        var tally = new ReleaseTally();
        tally.Add(1, T0.AddSeconds(2), RunStatus.Succeeded);
        tally.Add(2, T0.AddSeconds(5), RunStatus.TimedOut);
        tally.Add(1, T0.AddSeconds(1), RunStatus.Failed);

        Assert.Equal(2, tally.Count);
        Assert.Equal(
            // Failures count those after the job's last success in the batch (issue 14).
            [new JobRelease(1, 2, T0.AddSeconds(1), RunStatus.Failed) { Failures = 1, AnySucceeded = true },
                new JobRelease(2, 1, T0.AddSeconds(5), RunStatus.TimedOut) { Failures = 1 }],
            tally.Releases.OrderBy(r => r.JobId));
    }

    // (pending retry, attempt, max attempts, job exists) → reissued attempt (0 = abandoned)
    [Theory]
    [InlineData(true, 2, 3, true, 2)]   // a pending retry is reissued as is
    [InlineData(true, 2, 2, true, 2)]   // even on its last attempt: it has not started
    [InlineData(false, 1, 2, true, 2)]  // an interrupted attempt counts as tried
    [InlineData(false, 2, 2, true, 0)]  // no attempts left: abandoned
    [InlineData(false, 1, 5, false, 0)] // the job is gone: abandoned
    [InlineData(true, 2, 3, false, 0)]
    public void Recover_reissues_or_abandons(bool pendingRetry, int attempt, int maxAttempts, bool jobExists, int reissuedAttempt)
    {
        var job = NewJob(inFlight: 1, done: 1, maxAttempts: maxAttempts);
        var run = new Run
        {
            Id = "r", JobId = job.Id, Product = "p", JobTag = "j", Slot = 1, Attempt = attempt, ScheduledAt = T0, StartedAt = T0.AddSeconds(1),
            Node = "dead", Status = RunStatus.Running,
        };
        var now = T0.AddMinutes(1);
        DateTimeOffset? retryAt = pendingRetry ? T0.AddSeconds(9) : null;

        var decision = JobLedger.Recover(new Orphan(run, retryAt, maxAttempts), jobExists ? job : null, "live", now);

        if (reissuedAttempt > 0)
        {
            Assert.Null(decision.Abandoned);
            Assert.Equal((reissuedAttempt, "live", RunStatus.Running), (decision.Resume!.Run.Attempt, decision.Resume.Run.Node, decision.Resume.Run.Status));
            Assert.Equal(retryAt ?? now, decision.Resume.RunAt);
            Assert.Same(job, decision.Job);
            return;
        }
        Assert.Null(decision.Resume);
        var abandoned = decision.Abandoned!;
        Assert.Equal((RunStatus.Abandoned, now, JobLedger.AbandonedKind, JobLedger.AbandonedMessage, "dead"),
            (abandoned.Status, abandoned.FinishedAt, abandoned.ErrorKind, abandoned.ErrorMessage, abandoned.Node));
        if (!jobExists) Assert.Null(decision.Job);
        else Assert.Equal(JobLedger.Release(job, run.StartedAt, RunStatus.Abandoned), decision.Job);
    }

    [Fact]
    public void Trigger_records_a_running_slot_zero_run_counted_in_executions_and_in_flight()
    {
        var job = NewJob(executions: 1, done: 1, status: JobStatus.Completed);
        var now = T0.AddSeconds(42);

        var decision = JobLedger.Trigger(job, "t", "node", now);

        Assert.Equal((0L, 1, RunStatus.Running, now, now, "node"),
            (decision.Run.Slot, decision.Run.Attempt, decision.Run.Status, decision.Run.ScheduledAt, decision.Run.StartedAt!.Value, decision.Run.Node!));
        Assert.Equal(job with { ExecutionsDone = 2, InFlight = 1 }, decision.Next);
        Assert.Equal((decision.Run, now, job.Name), (decision.Claimed.Run, decision.Claimed.RunAt, decision.Claimed.JobName));
    }

    // (overlap, in flight, horizon ms after due) → fired slots, first slots of the skipped runs, slots skipped in all, next slot,
    // announced due (ms after T0, -1 = none)
    [Theory]
    [InlineData(OverlapPolicy.Skip, 0, 0, new long[] { 1 }, new long[0], 0, 2, 1000)]
    [InlineData(OverlapPolicy.Skip, 1, 2500, new long[0], new long[] { 1 }, 3, 4, 3000)]  // one run for three skipped slots
    [InlineData(OverlapPolicy.Skip, 0, 2500, new long[] { 3 }, new long[] { 1 }, 2, 4, 3000)] // behind: the latest fires
    [InlineData(OverlapPolicy.Queue, 1, 2500, new long[0], new long[0], 0, 1, -1)]
    [InlineData(OverlapPolicy.Queue, 0, 2500, new long[] { 1 }, new long[0], 0, 2, -1)]
    [InlineData(OverlapPolicy.Allow, 1, 1500, new long[] { 1, 2 }, new long[0], 0, 3, 2000)]
    [InlineData(OverlapPolicy.Allow, 0, -1, new long[0], new long[0], 0, 1, 0)]
    public void Claim_applies_the_overlap_policy(OverlapPolicy overlap, int inFlight, int horizonMs, long[] fired, long[] skipped, long skippedSlots,
        long nextSlot, int dueMs)
    {
        var job = NewJob(inFlight: inFlight, done: inFlight, overlap: overlap);
        var horizon = T0.AddMilliseconds(horizonMs);

        var claim = JobLedger.Claim(job.Id, job, new ClaimParams("n", horizon, horizon, [job.Id], Threshold), Ids());

        Assert.Equal(fired, claim.Runs.Select(r => r.Run.Slot));
        Assert.Equal(skipped, claim.Skipped.Select(r => r.Slot));
        Assert.Equal(skippedSlots, claim.Skipped.Sum(r => r.SkippedCount));
        Assert.All(claim.Skipped, r => Assert.Equal((RunStatus.Skipped, horizon, "overlap"), (r.Status, r.FinishedAt!.Value, r.ErrorKind!)));
        Assert.All(claim.Runs, r => Assert.Equal((RunStatus.Running, 1), (r.Run.Status, r.Run.Attempt)));
        Assert.Equal(nextSlot, (claim.Next ?? job).NextSlot);
        Assert.Equal(dueMs < 0 ? null : T0.AddMilliseconds(dueMs), claim.Entry.DueAt);
        Assert.Equal(dueMs < 0, claim.Blocked); // a slot waits for the running execution: out of the due queue
        Assert.Null(claim.Extended);
    }

    [Fact]
    public void Skipped_slots_of_a_later_claim_extend_the_open_skipped_run()
    {
        var job = NewJob(inFlight: 1, done: 1, overlap: OverlapPolicy.Skip);
        var first = JobLedger.Claim(job.Id, job, new ClaimParams("n", T0, T0, [job.Id], Threshold), Ids());
        var opened = Assert.Single(first.Skipped);
        Assert.Equal((opened.Id, 2L), (first.Next!.SkipRunId, first.Next.SkipRunNextSlot));

        var later = T0.AddSeconds(2);
        var second = JobLedger.Claim(job.Id, first.Next, new ClaimParams("n", later, later, [job.Id], Threshold), Ids());

        Assert.Empty(second.Skipped);
        Assert.Equal(new SkipExtension(opened.Id, 2, later), second.Extended);
        Assert.Equal((opened.Id, 4L, 4L), (second.Next!.SkipRunId, second.Next.SkipRunNextSlot, second.Next.NextSlot));
        Assert.Equal(1, second.Next.ExecutionsDone); // skipped slots do not count
    }

    [Fact]
    public void Skipped_slots_after_a_gap_in_the_grid_start_a_new_skipped_run()
    {
        // The open run stands for slots up to 1, but the job's grid moved on to slot 5 (a resume, a misfire jump): not consecutive.
        var job = NewJob(inFlight: 1, done: 1, overlap: OverlapPolicy.Skip) with { SkipRunId = "old", SkipRunNextSlot = 2, NextSlot = 5 };

        var claim = JobLedger.Claim(job.Id, job, new ClaimParams("n", T0, T0, [job.Id], Threshold), Ids());

        Assert.Null(claim.Extended);
        var run = Assert.Single(claim.Skipped);
        Assert.Equal((5L, 1L), (run.Slot, run.SkippedCount));
        Assert.Equal((run.Id, 6L), (claim.Next!.SkipRunId, claim.Next.SkipRunNextSlot));
    }

    [Theory]
    [InlineData(MisfirePolicy.FireOnce, new long[] { 4 }, 5)]
    [InlineData(MisfirePolicy.Skip, new long[0], 5)]
    [InlineData(MisfirePolicy.CatchUp, new long[] { 1, 2, 3, 4 }, 5)]
    public void Claim_applies_the_misfire_policy(MisfirePolicy misfire, long[] fired, long nextSlot)
    {
        var job = NewJob(overlap: OverlapPolicy.Allow) with { Misfire = misfire };
        var horizon = T0.AddSeconds(3.5); // four slots due, the first later than the 3 s threshold

        var claim = JobLedger.Claim(job.Id, job, new ClaimParams("n", horizon, horizon, [job.Id], TimeSpan.FromSeconds(3)), Ids());

        Assert.Equal(fired, claim.Runs.Select(r => r.Run.Slot));
        Assert.Equal(nextSlot, claim.Next!.NextSlot);
    }

    [Fact]
    public void Claim_of_a_missing_or_inactive_job_claims_nothing_and_leaves_the_queue()
    {
        var horizon = T0.AddSeconds(10);
        var p = new ClaimParams("n", horizon, horizon, [7], Threshold);
        foreach (var job in new[] { null, NewJob(status: JobStatus.Paused), NewJob(status: JobStatus.Completed) })
        {
            var claim = JobLedger.Claim(7, job, p, () => throw new InvalidOperationException("no run expected"));
            Assert.Equal((new ScheduleEntry(7, null), 0, (Job?)null), (claim.Entry, claim.Runs.Count + claim.Skipped.Count, claim.Next));
        }
    }

    [Fact]
    public void Claim_returns_the_runs_it_records_with_what_the_dispatcher_needs()
    {
        var job = NewJob(overlap: OverlapPolicy.Allow);

        var claim = JobLedger.Claim(job.Id, job, new ClaimParams("n", T0.AddSeconds(1), T0.AddSeconds(1), [job.Id], Threshold), Ids());

        Assert.Equal(["run-0", "run-1"], claim.Runs.Select(r => r.Run.Id));
        Assert.Empty(claim.Skipped);
        Assert.All(claim.Runs, r => Assert.Equal((r.Run.ScheduledAt, job.Retries, "n"), (r.RunAt, r.Retries, r.Run.Node!)));
    }

    [Fact]
    public void Claim_takes_run_ids_in_slot_order()
    {
        var job = NewJob(overlap: OverlapPolicy.Skip);

        var claim = JobLedger.Claim(job.Id, job, new ClaimParams("n", T0.AddSeconds(2.5), T0.AddSeconds(2.5), [job.Id], Threshold), Ids());

        Assert.Equal([(1L, "run-0", 2L)], claim.Skipped.Select(r => (r.Slot, r.Id, r.SkippedCount)));
        Assert.Equal([(3L, "run-1")], claim.Runs.Select(r => (r.Run.Slot, r.Run.Id)));
    }
}
