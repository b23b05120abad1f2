using Metronome.Contracts;
using Metronome.Core.Engine;
using Metronome.Core.Execution;
using Metronome.Core.Runs;
using Metronome.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Core.Tests.Engine;

/// <summary>The stop sequence on fake time: stop claiming, let attempts finish within the host's timeout, hand back the rest.</summary>
public sealed class EngineStopTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_attempt_in_flight_at_stop_runs_to_its_end_within_the_timeout_and_its_outcome_is_written()
    {
        await using var h = await EngineHarness.StartAsync(shutdownTimeout: TimeSpan.FromSeconds(30));
        var calling = new TaskCompletionSource();
        h.Executor.Behaviour = async (_, ct) =>
        {
            var call = FakeClock.Elapse(h.Time, TimeSpan.FromSeconds(10), ct);
            calling.TrySetResult();
            await call;
            return null;
        };
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("slow", 0, 1000, j => j.Overlap = "skip"));
        h.Time.Advance(Second);
        await calling.Task.WaitAsync(Patience);       // the 10 s call is under way (its timer armed on the fake clock)

        var stopping = h.Engine.StopAsync(CancellationToken.None);
        h.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(stopping.IsCompleted);           // the attempt still runs, and the timeout (30 s) is far
        h.Time.Advance(TimeSpan.FromSeconds(5));      // the 10 s call ends
        await stopping.WaitAsync(Patience);

        var run = Assert.Single(await h.RunsAsync("slow"));
        Assert.Equal((RunStatus.Succeeded, 1), (run.Status, run.Attempt));
        Assert.Single(h.Executor.Calls);
        Assert.Equal(1, h.Probe.SlotsClaimed);         // claiming stopped at once: slots due meanwhile were not claimed
        var line = Assert.Single(h.Logs.Lines, l => l.Message.Contains("stopped after", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.True(line.Message.Contains("1 attempts finished during the stop, 0 handed back", StringComparison.Ordinal), line.Message);
    }

    [Fact]
    public async Task What_is_left_at_the_deadline_is_handed_back_and_the_next_start_runs_it_as_the_same_attempt()
    {
        var time = new FakeTimeProvider(EngineHarness.T0);
        string path;
        List<(long Slot, int Attempt, string Key, DateTimeOffset At)> firstCalls;
        await using (var first = await EngineHarness.StartAsync(time: time, shutdownTimeout: TimeSpan.FromSeconds(10),
            configure: o => o.ProductMaxConcurrency = 1))
        {
            path = first.DatabasePath;
            // Two jobs of one product due together, with no retries: with a cap of one, "running" runs and "waiting" waits in line.
            first.Executor.Behaviour = async (ctx, ct) => { await FakeClock.Elapse(time, TimeSpan.FromMinutes(1), ct); return null; };
            await first.Jobs.CreateAsync("shop", EngineHarness.Job("running", 1, 1000));
            await first.Jobs.CreateAsync("shop", EngineHarness.Job("waiting", 1, 1000));
            time.Advance(Second);
            await first.ClaimedAsync(2);
            await first.AttemptsAsync(1);

            var stopping = first.Engine.StopAsync(CancellationToken.None);
            time.Advance(TimeSpan.FromSeconds(7));
            Assert.False(stopping.IsCompleted);       // attempts may run until the timeout less its reserve: 10 s - 2 s
            time.Advance(Second);                     // the cancel instant: the running attempt is cancelled and handed back
            await stopping.WaitAsync(Patience);
            firstCalls = [.. first.Executor.Calls];

            var stopped = Assert.Single(first.Logs.Lines, l => l.Message.Contains("stopped after", StringComparison.Ordinal));
            Assert.Contains("0 attempts finished during the stop, 2 handed back", stopped.Message, StringComparison.Ordinal);
            foreach (var tag in new[] { "running", "waiting" })
            {
                var run = Assert.Single(await first.RunsAsync(tag));
                Assert.Equal((RunStatus.Running, 1), (run.Status, run.Attempt));
            }
        }

        await using var second = await EngineHarness.StartAsync(path, time); // the next start recovers both as they were handed back
        await second.OutcomesAsync(2);
        var first1 = Assert.Single(firstCalls);
        foreach (var tag in new[] { "running", "waiting" })
        {
            var run = Assert.Single(await second.RunsAsync(tag));
            Assert.Equal((RunStatus.Succeeded, 1), (run.Status, run.Attempt));   // not abandoned, not the next attempt
        }
        Assert.Equal(2, second.Executor.Calls.Count);
        Assert.All(second.Executor.Calls, c => Assert.Equal(1, c.Attempt));
        Assert.Contains(second.Executor.Calls, c => c.Key == first1.Key);       // the interrupted call again, under its idempotency key
    }

    [Fact]
    public async Task A_retry_scheduled_during_the_stop_is_handed_back_not_run()
    {
        var time = new FakeTimeProvider(EngineHarness.T0);
        string path;
        await using (var first = await EngineHarness.StartAsync(time: time, shutdownTimeout: TimeSpan.FromSeconds(30)))
        {
            path = first.DatabasePath;
            var calling = new TaskCompletionSource();
            first.Executor.Behaviour = async (_, ct) =>
            {
                var call = FakeClock.Elapse(time, TimeSpan.FromSeconds(2), ct);
                calling.TrySetResult();
                await call;
                return ExecutionOutcome.Failure(ErrorKinds.HttpStatus, "HTTP 503");
            };
            await first.Jobs.CreateAsync("shop", EngineHarness.Job("flaky", 1, 1000,
                j => j.Retries = new RetryOptions { MaxAttempts = 3, BackoffMs = 100, MaxBackoffMs = 100 }));
            time.Advance(Second);
            await calling.Task.WaitAsync(Patience);

            var stopping = first.Engine.StopAsync(CancellationToken.None);
            time.Advance(TimeSpan.FromSeconds(2));    // attempt 1 fails during the stop: its retry must not start here
            await stopping.WaitAsync(Patience);
            Assert.Single(first.Executor.Calls);
            var run = Assert.Single(await first.RunsAsync("flaky"));
            Assert.Equal((RunStatus.Running, 2, "http_status"), (run.Status, run.Attempt, run.ErrorKind));
        }

        await using var second = await EngineHarness.StartAsync(path, time);
        time.Advance(Second);                         // the retry's instant has passed: the next start runs attempt 2
        await second.OutcomesAsync(1);
        var done = Assert.Single(await second.RunsAsync("flaky"));
        Assert.Equal((RunStatus.Succeeded, 2), (done.Status, done.Attempt));
    }

    [Fact]
    public async Task An_attempt_of_a_job_paused_before_it_started_is_abandoned_at_the_stop_not_handed_back()
    {
        await using var h = await EngineHarness.StartAsync(shutdownTimeout: TimeSpan.FromSeconds(10), configure: o => o.ProductMaxConcurrency = 1);
        h.Executor.Behaviour = async (_, ct) => { await FakeClock.Elapse(h.Time, TimeSpan.FromMinutes(1), ct); return null; };
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("first", 1, 1000));
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("second", 1, 1000));
        h.Time.Advance(Second);
        await h.ClaimedAsync(2);
        await h.AttemptsAsync(1);                     // one runs, the other waits in its product's line
        var running = Assert.Single(h.Executor.Calls).Key.StartsWith("shop/first/", StringComparison.Ordinal) ? "first" : "second";
        var waiting = running == "first" ? "second" : "first";
        await h.Jobs.PauseAsync("shop", waiting);

        var stopping = h.Engine.StopAsync(CancellationToken.None);
        h.Time.Advance(TimeSpan.FromSeconds(8));      // the cancel instant (10 s less its 2 s reserve)
        await stopping.WaitAsync(Patience);

        Assert.Equal(RunStatus.Running, Assert.Single(await h.RunsAsync(running)).Status);    // handed back
        Assert.Equal(RunStatus.Abandoned, Assert.Single(await h.RunsAsync(waiting)).Status);  // as it would have been at its turn
        Assert.Single(h.Executor.Calls);
    }

    [Fact]
    public async Task A_hand_back_that_cannot_be_written_leaves_the_run_running_for_recovery_and_is_reported_in_the_stop_line()
    {
        var time = new FakeTimeProvider(EngineHarness.T0);
        string path;
        await using (var first = await EngineHarness.StartAsync(time: time, shutdownTimeout: TimeSpan.FromSeconds(10),
            wrapStore: HandBackFails.Around))
        {
            path = first.DatabasePath;
            first.Executor.Behaviour = async (_, ct) => { await FakeClock.Elapse(time, TimeSpan.FromMinutes(1), ct); return null; };
            await first.Jobs.CreateAsync("shop", EngineHarness.Job("stuck", 1, 1000));
            time.Advance(Second);
            await first.AttemptsAsync(1);

            var stopping = first.Engine.StopAsync(CancellationToken.None);
            time.Advance(TimeSpan.FromSeconds(8));
            await stopping.WaitAsync(Patience);

            var line = Assert.Single(first.Logs.Lines, l => l.Message.Contains("stopped after", StringComparison.Ordinal));
            Assert.Equal(LogLevel.Warning, line.Level);
            Assert.True(line.Message.Contains("0 handed back; not written, left running for recovery: 0 outcomes, 1 hand-backs (database unreachable)",
                StringComparison.Ordinal), line.Message);
            var run = Assert.Single(await first.RunsAsync("stuck"));
            Assert.Equal((RunStatus.Running, 1), (run.Status, run.Attempt));
        }

        // Not handed back, the run is an interrupted attempt, as after a crash: its last attempt, so it is abandoned.
        await using var second = await EngineHarness.StartAsync(path, time);
        Assert.Equal(RunStatus.Abandoned, Assert.Single(await second.RunsAsync("stuck")).Status);
    }

    /// <summary>A store whose hand-back fails (the database went away at the end of the stop); everything else reaches the real store.</summary>
    public class HandBackFails : System.Reflection.DispatchProxy
    {
        private IJobStore _inner = null!;

        public static IJobStore Around(IJobStore inner)
        {
            var proxy = Create<IJobStore, HandBackFails>();
            ((HandBackFails)(object)proxy)._inner = inner;
            return proxy;
        }

        protected override object? Invoke(System.Reflection.MethodInfo? method, object?[]? args) =>
            method!.Name == nameof(IJobStore.HandBackRunsAsync)
                ? Task.FromException<int>(new InvalidOperationException("database unreachable"))
                : method.Invoke(_inner, args);
    }

    [Theory]
    [InlineData(30_000, 5_000)]
    [InlineData(10_000, 2_000)]
    [InlineData(2_000, 1_000)]
    [InlineData(1_000, 500)]
    [InlineData(0, 0)]
    public void The_reserve_before_the_hosts_deadline_is_a_fifth_of_the_timeout_between_1_and_5_seconds_and_at_most_half(int timeoutMs, int reserveMs)
    {
        var timeout = TimeSpan.FromMilliseconds(timeoutMs);
        Assert.Equal(TimeSpan.FromMilliseconds(reserveMs), StopDeadline.Reserve(timeout));
        Assert.Equal(EngineHarness.T0 + timeout - TimeSpan.FromMilliseconds(reserveMs), StopDeadline.CancelAt(EngineHarness.T0, timeout));
    }

    [Fact]
    public void A_host_that_waits_forever_lets_attempts_run_to_their_end() =>
        Assert.Null(StopDeadline.CancelAt(EngineHarness.T0, Timeout.InfiniteTimeSpan));
}
