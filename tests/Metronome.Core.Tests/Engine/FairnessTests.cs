using System.Collections.Concurrent;
using Metronome.Core.Catalog;
using Metronome.Core.Events;
using Metronome.Core.Execution;
using Metronome.Core.Runs;
using Metronome.Core.Storage;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Core.Tests.Engine;

/// <summary>Concurrency slots shared fairly between products (docs/security/fairness.md), and timeouts recorded <c>timed_out</c>.</summary>
public sealed class FairnessTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_product_at_its_cap_does_not_delay_another_products_attempts()
    {
        await using var h = await EngineHarness.StartAsync(configure: o => { o.MaxConcurrency = 4; o.ProductMaxConcurrency = 2; });
        await AddProductAsync(h, "quiet");
        var held = new HeldAttempts(h.Executor);
        h.Executor.Behaviour = (ctx, _) => ctx.Product == "shop" ? held.Hold(ctx) : Task.FromResult<ExecutionOutcome?>(null);
        for (int i = 0; i < 5; i++) await h.Jobs.CreateAsync("shop", EngineHarness.Job($"noisy-{i}", 1, 1000));
        await h.Jobs.CreateAsync("quiet", EngineHarness.Job("tick", 1, 1000));

        h.Time.Advance(Second);
        await h.OutcomesAsync(1); // without the cap the noisy product would hold all four slots and this would never come

        var run = Assert.Single(await RunsOfAsync(h, "quiet", "tick"));
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(run.ScheduledAt, run.StartedAt); // on time: the fake clock did not move while it waited
        Assert.Equal(3, h.Probe.AttemptsStarted);     // two noisy attempts (its cap) and the quiet one
    }

    [Fact]
    public async Task Attempts_waiting_for_their_products_cap_do_not_stop_the_node_claiming_for_other_products()
    {
        await using var h = await EngineHarness.StartAsync(configure: o => { o.MaxConcurrency = 2; o.ProductMaxConcurrency = 1; });
        await AddProductAsync(h, "quiet");
        var held = new HeldAttempts(h.Executor);
        h.Executor.Behaviour = (ctx, _) => ctx.Product == "shop" ? held.Hold(ctx) : Task.FromResult<ExecutionOutcome?>(null);
        for (int i = 0; i < 3; i++) await h.Jobs.CreateAsync("shop", EngineHarness.Job($"noisy-{i}", 1, 1000));
        await h.Jobs.CreateAsync("quiet", EngineHarness.Job("tick", 1, 1500));

        // All four are due; the noisy ones are claimed first (due earlier): one runs, two wait in their product's line and
        // take no node slot, so the node still has room and claims the quiet job into its free slot.
        h.Time.Advance(TimeSpan.FromMilliseconds(1500));
        await h.OutcomesAsync(1);

        Assert.Equal(RunStatus.Succeeded, Assert.Single(await RunsOfAsync(h, "quiet", "tick")).Status);
        Assert.Equal(2, h.Probe.AttemptsStarted);
        Assert.Equal(4, h.Probe.SlotsClaimed);
    }

    [Fact]
    public async Task Waiting_attempts_start_round_robin_across_products()
    {
        await using var h = await EngineHarness.StartAsync(configure: o => o.MaxConcurrency = 1);
        await AddProductAsync(h, "other");
        var held = new HeldAttempts(h.Executor);
        h.Executor.Behaviour = (ctx, _) => held.Hold(ctx);
        for (int i = 0; i < 3; i++)
        {
            await h.Jobs.CreateAsync("shop", EngineHarness.Job($"a-{i}", 1, 1000));
            await h.Jobs.CreateAsync("other", EngineHarness.Job($"b-{i}", 1, 1000));
        }

        h.Time.Advance(Second); // six attempts due at once on a node with one slot
        for (int started = 1; started <= 6; started++)
        {
            await h.AttemptsAsync(started);
            Assert.Equal(started, h.Probe.AttemptsStarted);
            await held.ReleaseOldestAsync();
        }
        await h.OutcomesAsync(6);

        var order = held.Products.ToArray();
        Assert.Equal(3, order.Count(p => p == "shop"));
        Assert.Equal(3, order.Count(p => p == "other"));
        // The first attempt took the free slot; from then on, while both lines wait, turns alternate between the products.
        for (int i = 1; i < 4; i++) Assert.NotEqual(order[i], order[i + 1]);
    }

    [Fact]
    public async Task A_raised_cap_lets_waiting_attempts_start_at_once_when_changed_through_this_node()
    {
        await using var h = await EngineHarness.StartAsync(configure: o => o.ProductMaxConcurrency = 1);
        var held = new HeldAttempts(h.Executor);
        h.Executor.Behaviour = (ctx, _) => held.Hold(ctx);
        for (int i = 0; i < 3; i++) await h.Jobs.CreateAsync("shop", EngineHarness.Job($"job-{i}", 1, 1000));
        h.Time.Advance(Second);
        await h.AttemptsAsync(1);
        Assert.Equal(1, h.Probe.AttemptsStarted);

        await SetCapAsync(h, 3);
        h.Signal.CatalogChanged("shop"); // what CatalogService does after a PATCH on this node

        await h.AttemptsAsync(3);
        Assert.Equal(3, h.Probe.AttemptsStarted);
    }

    [Fact]
    public async Task A_cap_changed_on_another_node_is_honoured_after_the_refresh_interval()
    {
        await using var h = await EngineHarness.StartAsync(configure: o => o.ProductMaxConcurrency = 1);
        var held = new HeldAttempts(h.Executor);
        h.Executor.Behaviour = (ctx, _) => held.Hold(ctx);
        for (int i = 0; i < 3; i++) await h.Jobs.CreateAsync("shop", EngineHarness.Job($"job-{i}", 0, 1000, j => j.Overlap = "allow"));
        h.Time.Advance(Second);
        await h.AttemptsAsync(1);
        await h.Probe.WaitForAsync(p => p.SlotsClaimed >= 3).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, h.Probe.AttemptsStarted);

        await SetCapAsync(h, 2); // written by another node: no signal reaches this one
        h.Time.Advance(TimeSpan.FromSeconds(2)); // MetronomeOptions.ProductLimitsRefresh

        await h.AttemptsAsync(2);
        Assert.Equal(2, h.Probe.AttemptsStarted);
    }

    [Fact]
    public async Task An_executors_own_timeout_is_recorded_timed_out_and_other_failures_failed()
    {
        await using var h = await EngineHarness.StartAsync();
        h.Executor.Behaviour = (ctx, _) => Task.FromResult<ExecutionOutcome?>(ctx.JobTag == "slow-peer"
            ? ExecutionOutcome.Failure(ErrorKinds.Timeout, "the peer did not answer within definition.timeout_ms")
            : ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused, "refused"));
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("slow-peer", 1, 1000));
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("down-peer", 1, 1000));

        await h.AdvanceUntilOutcomesAsync(Second, 2);

        var timedOut = Assert.Single(await h.RunsAsync("slow-peer"));
        Assert.Equal((RunStatus.TimedOut, ErrorKinds.Timeout), (timedOut.Status, timedOut.ErrorKind));
        var failed = Assert.Single(await h.RunsAsync("down-peer"));
        Assert.Equal((RunStatus.Failed, ErrorKinds.ConnectionRefused), (failed.Status, failed.ErrorKind));
    }

    [Fact]
    public async Task An_attempt_that_waited_for_its_products_cap_past_its_timeout_is_recorded_timed_out_without_starting()
    {
        await using var h = await EngineHarness.StartAsync(configure: o => o.ProductMaxConcurrency = 1);
        var held = new HeldAttempts(h.Executor);
        h.Executor.Behaviour = (ctx, _) => held.Hold(ctx);
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("first", 1, 1000, j => j.TimeoutMs = 500));
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("second", 1, 1000, j => j.TimeoutMs = 500));
        h.Time.Advance(Second);
        await h.AttemptsAsync(1); // one holds the product's only slot, the other waits in its line
        var running = await held.OldestTagAsync();

        h.Time.Advance(Second); // the waiting one has now waited 1 s: past its 500 ms
        await held.ReleaseOldestAsync();
        await h.OutcomesAsync(2);

        var waited = Assert.Single(await h.RunsAsync(running == "first" ? "second" : "first"));
        Assert.Equal((RunStatus.TimedOut, ErrorKinds.Timeout), (waited.Status, waited.ErrorKind));
        Assert.Contains("max_concurrency", waited.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(1, h.Probe.AttemptsStarted);
    }

    private static async Task AddProductAsync(EngineHarness h, string product)
    {
        var now = h.Time.GetUtcNow();
        await h.Store.CreateProductAsync(new ProductRecord { Tag = product, Name = product, CreatedAt = now, UpdatedAt = now }, CancellationToken.None);
        await h.Store.CreateEventAsync(new EventRecord { Product = product, Type = "action", Tag = "ping", Name = "Ping", DefinitionJson = "{}" }, CancellationToken.None);
    }

    private static async Task SetCapAsync(EngineHarness h, int cap)
    {
        var shop = (await h.Store.GetProductAsync("shop", CancellationToken.None))!;
        Assert.True(await h.Store.UpdateProductAsync(shop with { MaxConcurrency = cap }, CancellationToken.None));
    }

    private static async Task<IReadOnlyList<Run>> RunsOfAsync(EngineHarness h, string product, string tag) =>
        (await h.Store.ListRunsAsync(new RunQuery(product, tag, null, 100, null), CancellationToken.None)).Items;

    /// <summary>Holds every attempt it is given until released, oldest first; records who started, in order.</summary>
    private sealed class HeldAttempts(RecordingExecutor executor)
    {
        private readonly ConcurrentQueue<TaskCompletionSource<ExecutionOutcome?>> _held = new();

        public ConcurrentQueue<string> Products { get; } = new();
        public ConcurrentQueue<string> Tags { get; } = new();
        private readonly SemaphoreSlim _arrived = new(0);

        public Task<ExecutionOutcome?> Hold(ExecutionContext ctx)
        {
            var tcs = new TaskCompletionSource<ExecutionOutcome?>(TaskCreationOptions.RunContinuationsAsynchronously);
            Products.Enqueue(ctx.Product);
            Tags.Enqueue(ctx.JobTag);
            _held.Enqueue(tcs);
            _arrived.Release();
            return Task.WhenAny(tcs.Task, executor.Hold()).Unwrap(); // the harness releases everything at dispose
        }

        /// <summary>Releases the oldest held attempt, waiting (bounded) for it to reach the executor: the probe counts an
        /// attempt as started just before the executor is called.</summary>
        public async Task ReleaseOldestAsync()
        {
            Assert.True(await _arrived.WaitAsync(TimeSpan.FromSeconds(20)), "no attempt reached the executor");
            Assert.True(_held.TryDequeue(out var tcs));
            tcs.TrySetResult(null);
        }

        public async Task<string> OldestTagAsync()
        {
            Assert.True(await _arrived.WaitAsync(TimeSpan.FromSeconds(20)), "no attempt reached the executor");
            _arrived.Release();
            Assert.True(Tags.TryPeek(out var tag));
            return tag;
        }
    }
}
