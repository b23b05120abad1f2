using System.Collections.Concurrent;
using System.Diagnostics;
using Metronome.Core.Execution;
using Metronome.Events.Function;
using Metronome.FunctionHost;

namespace Metronome.Events.Tests.Function;

public sealed class FunctionWorkerPoolTests
{
    private const string Spin = "function handler() { while (true) { } }";

    [Fact]
    public async Task Worker_that_dies_mid_attempt_ends_it_as_crashed_and_the_next_attempt_runs()
    {
        using var pool = new TestPool(new FunctionPoolOptions { Workers = 1 });
        var running = pool.RunAsync(Spin, timeoutMs: 30_000);
        await TestPool.UntilAsync(() => pool.Pool.WorkerProcessIds().Count == 1, "a worker");

        Process.GetProcessById(pool.Pool.WorkerProcessIds()[0]).Kill();
        var outcome = await running;

        Assert.Equal(ErrorKinds.Crashed, outcome.ErrorKind);
        Assert.Contains("worker process ended", outcome.ErrorMessage);
        var next = await pool.RunAsync("function handler() { return 7; }");
        Assert.True(next.Succeeded, next.ErrorMessage);
        Assert.Equal("7", next.OutputJson);
        Assert.Equal(2, pool.Pool.StartedWorkers);
    }

    [Theory]
    [InlineData("function handler(){ var p = new Proxy({}, {get: function(t,k,r){ return r[k]; }}); return p.x; }")]
    [InlineData("function handler(){ var o = {}; for (var i = 0; i < 100000; i++) o = {a: o}; return o; }")]
    [InlineData("function handler(){ var o = {}; for (var i = 0; i < 100000; i++) o = {a: o}; return JSON.stringify(o); }")]
    [InlineData("function handler(){ var a = []; for (var i = 0; i < 10000; i++) a = [a]; return String(a); }")]
    [InlineData("function handler(){ var p = {}; for (var i = 0; i < 100000; i++) p = new Proxy(p, {}); return p.x; }")]
    [InlineData("function handler(){ var a = []; for (var i = 0; i < 100000; i++) a = [a]; return a.flat(Infinity); }")]
    public async Task Stack_exhausting_functions_end_in_a_limit_and_the_pool_keeps_serving(string code)
    {
        using var pool = new TestPool(new FunctionPoolOptions { Workers = 1 });

        var outcome = await pool.RunAsync(code, timeoutMs: 10_000);

        Assert.True(outcome.Succeeded || outcome.ErrorKind is ErrorKinds.LimitExceeded or ErrorKinds.Crashed, $"{outcome.ErrorKind}: {outcome.ErrorMessage}");
        var next = await pool.RunAsync("function handler() { return 'alive'; }");
        Assert.Equal("\"alive\"", next.OutputJson);
    }

    [Fact]
    public async Task Full_product_queue_fails_the_attempt_at_once_with_limit_exceeded_and_other_products_still_queue()
    {
        using var cancel = new CancellationTokenSource();
        using var pool = new TestPool(new FunctionPoolOptions { Workers = 1, QueuePerProduct = 2 });
        var blocker = pool.RunAsync(Spin, product: "x", timeoutMs: 30_000, ct: cancel.Token);
        await TestPool.UntilAsync(() => pool.Pool.WorkerProcessIds().Count == 1, "a busy worker");
        var queued = new[] { pool.RunAsync(Spin, product: "a", ct: cancel.Token), pool.RunAsync(Spin, product: "a", ct: cancel.Token) };
        var other = pool.RunAsync(Spin, product: "b", ct: cancel.Token);

        var rejected = await pool.RunAsync(Spin, product: "a", ct: cancel.Token);

        Assert.Equal(ErrorKinds.LimitExceeded, rejected.ErrorKind);
        Assert.Contains("waiting for a worker", rejected.ErrorMessage);
        Assert.False(blocker.IsCompleted);
        Assert.Equal(2, pool.Pool.Waiting("a"));
        Assert.Equal(1, pool.Pool.Waiting("b"));
        await cancel.CancelAsync();
        foreach (var task in queued.Append(other).Append(blocker))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Equal(0, pool.Pool.Waiting("a"));
    }

    [Fact]
    public async Task Waiting_products_are_served_round_robin()
    {
        using var pool = new TestPool(new FunctionPoolOptions { Workers = 1 });
        var blocker = pool.RunAsync(Spin, product: "x", timeoutMs: 3000);
        await TestPool.UntilAsync(() => pool.Pool.WorkerProcessIds().Count == 1, "a busy worker");
        var finished = new ConcurrentQueue<string>();
        var attempts = new List<Task>();
        foreach (var label in (string[])["a1", "a2", "a3", "b1", "b2", "b3"])
        {
            var product = label[..1];
            attempts.Add(pool.RunAsync("function handler(input) { return input.label; }", product: product, input: $$"""{"label": "{{label}}"}""")
                .ContinueWith(t => finished.Enqueue(t.Result.OutputJson!.Trim('"')), TaskScheduler.Default));
            await TestPool.UntilAsync(() => pool.Pool.Waiting(product) == int.Parse(label[1..]), label + " queued");
        }
        Assert.False(blocker.IsCompleted, "the blocker ended before every attempt was queued");

        await Task.WhenAll(attempts);

        Assert.Equal(ErrorKinds.Timeout, (await blocker).ErrorKind);
        Assert.Equal(["a1", "b1", "a2", "b2", "a3", "b3"], finished);
    }

    [Fact]
    public async Task Temporaries_do_not_count_against_the_memory_limit_but_held_memory_does()
    {
        using var pool = new TestPool(new FunctionPoolOptions { Workers = 1 });
        const string temporaries = "function handler() { var s = Date.now(), n = 0; while (Date.now() - s < 300) { var o = {a: n}; n++; } return n; }";

        for (var i = 0; i < 5; i++)
        {
            var outcome = await pool.RunAsync(temporaries, memoryMb: 8, timeoutMs: 5000);
            Assert.True(outcome.Succeeded, $"run {i}: {outcome.ErrorKind}: {outcome.ErrorMessage}");
        }
        var held = await pool.RunAsync("function handler() { var a = []; while (true) { a.push({a: a.length}); } }", memoryMb: 8, timeoutMs: 20_000);
        Assert.Equal(ErrorKinds.LimitExceeded, held.ErrorKind);
        Assert.Contains("held more than 8 MB", held.ErrorMessage);
    }

    [Fact]
    public async Task One_huge_allocation_fails_with_limit_exceeded_and_its_worker_is_replaced()
    {
        using var pool = new TestPool(new FunctionPoolOptions { Workers = 1, WorkerHeapLimitMb = 256 });

        var outcome = await pool.RunAsync("function handler() { return 'y'.repeat(5e8).length; }", timeoutMs: 10_000);

        Assert.Equal(ErrorKinds.LimitExceeded, outcome.ErrorKind);
        var next = await pool.RunAsync("function handler() { return 1; }");
        Assert.Equal("1", next.OutputJson);
        Assert.Equal(2, pool.Pool.StartedWorkers);
    }

    [Fact]
    public async Task Catastrophic_regex_ends_near_the_function_timeout()
    {
        using var pool = new TestPool(new FunctionPoolOptions { Workers = 1 });
        await pool.RunAsync("function handler() { return 1; }");
        var watch = Stopwatch.StartNew();

        var outcome = await pool.RunAsync("function handler() { return /^(a+)+$/.test('a'.repeat(40) + '!'); }", timeoutMs: 1000);

        Assert.Equal(ErrorKinds.Timeout, outcome.ErrorKind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), watch.Elapsed.ToString());
    }

    [Fact]
    public async Task Endless_await_loop_ends_as_a_timeout()
    {
        using var pool = new TestPool(new FunctionPoolOptions { Workers = 1 });

        var outcome = await pool.RunAsync("async function handler() { while (true) { await null; } }", timeoutMs: 500);

        Assert.Equal(ErrorKinds.Timeout, outcome.ErrorKind);
    }

    [Fact]
    public async Task Huge_thrown_message_is_cut_and_the_worker_keeps_serving()
    {
        using var pool = new TestPool(new FunctionPoolOptions { Workers = 1 });

        var outcome = await pool.RunAsync("function handler() { throw 'x'.repeat(5e6); }", timeoutMs: 10_000, memoryMb: 256);

        Assert.Equal(ErrorKinds.FunctionError, outcome.ErrorKind);
        Assert.EndsWith("…[truncated]", outcome.ErrorMessage);
        Assert.True(outcome.ErrorMessage!.Length < 5000);
        Assert.Equal(1, pool.Pool.StartedWorkers);
    }

    [Fact]
    public async Task Worker_is_replaced_after_its_maximum_number_of_attempts()
    {
        using var pool = new TestPool(new FunctionPoolOptions { Workers = 1, MaxAttemptsPerWorker = 2 });

        for (var i = 0; i < 5; i++) Assert.True((await pool.RunAsync("function handler() { return 1; }")).Succeeded);

        Assert.Equal(3, pool.Pool.StartedWorkers);
    }

    [Fact]
    public async Task Worker_whose_heap_stays_above_the_recycle_threshold_is_replaced()
    {
        using var pool = new TestPool(new FunctionPoolOptions { Workers = 1, WorkerRecycleHeapMb = 1 });

        for (var i = 0; i < 3; i++) Assert.True((await pool.RunAsync("function handler() { return 1; }")).Succeeded);

        Assert.Equal(3, pool.Pool.StartedWorkers);
    }

    [Fact]
    public async Task Disposing_the_pool_ends_its_workers()
    {
        var pool = new TestPool(new FunctionPoolOptions { Workers = 2 });
        await Task.WhenAll(pool.RunAsync("function handler() { return 1; }"), pool.RunAsync("function handler() { return 2; }"));
        var ids = pool.Pool.WorkerProcessIds();
        Assert.NotEmpty(ids);

        pool.Dispose();

        foreach (var id in ids) Assert.False(IsRunning(id), $"worker {id} still runs");
    }

    [Fact]
    public async Task Worker_exits_by_itself_when_its_stdin_closes()
    {
        var options = new FunctionPoolOptions();
        var worker = await FunctionWorker.StartAsync(FunctionHostLocation.Find(options), options, CancellationToken.None);

        worker.Dispose();

        Assert.True(worker.ExitedOnItsOwn);
    }

    [Fact]
    public async Task Worker_environment_carries_none_of_the_servers_variables()
    {
        var name = "METRONOME_TEST_SECRET_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "s3cret");
        try
        {
            var options = new FunctionPoolOptions();
            var worker = await FunctionWorker.StartAsync(FunctionHostLocation.Find(options), options, CancellationToken.None);
            var environ = await File.ReadAllTextAsync($"/proc/{worker.ProcessId}/environ");
            worker.Dispose();

            Assert.DoesNotContain(name, environ);
            Assert.Contains("DOTNET_GCHeapHardLimit=", environ);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public async Task Workers_run_at_lower_cpu_priority()
    {
        using var pool = new TestPool(new FunctionPoolOptions { Workers = 1 });
        await pool.RunAsync("function handler() { return 1; }");

        var stat = (await File.ReadAllTextAsync($"/proc/{pool.Pool.WorkerProcessIds()[0]}/stat")).Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        Assert.True(int.Parse(stat[16]) > 0, "nice " + stat[16]);
    }

    private static bool IsRunning(int id)
    {
        try
        {
            using var process = Process.GetProcessById(id);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
