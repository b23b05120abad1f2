using Metronome.Core.Jobs;
using Metronome.Core.Runs;
using Metronome.Core.Storage;
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Core.Tests.Jobs;

public sealed class JobCreateBatcherTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private GatedStore _store = null!;

    public async Task InitializeAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), $"metronome-batcher-{Guid.NewGuid():N}.db");
        var sqlite = new SqliteJobStore(new SqliteStoreOptions { DatabasePath = path }, _time);
        await sqlite.MigrateAsync(CancellationToken.None);
        _store = new GatedStore(sqlite);
    }

    public async Task DisposeAsync()
    {
        _store.Open();
        await _store.Inner.DisposeAsync();
    }

    private Job NewJob(string tag, long executions = 0) => new()
    {
        Product = "shop", Tag = tag, Name = tag, EventType = "action", EventTag = "ping", Executions = executions, IntervalMs = 1000,
        InputJson = "{}", Retries = new RetryPolicy(1, 0, 0), TimeoutMs = 30_000, NextSlot = 1,
        NextDueAt = _time.GetUtcNow().AddSeconds(1), CreatedAt = _time.GetUtcNow(), UpdatedAt = _time.GetUtcNow(),
    };

    [Fact]
    public async Task Creates_queued_during_a_commit_share_the_next_transaction()
    {
        var batcher = new JobCreateBatcher(_store);
        _store.Close();
        var first = batcher.CreateAsync(NewJob("first"), CancellationToken.None);
        await _store.WriteStarted.Task.WaitAsync(Patience);
        var queued = new[] { "b", "c", "d" }.Select(t => batcher.CreateAsync(NewJob(t), CancellationToken.None)).ToArray();

        _store.Open();
        var jobs = await Task.WhenAll([first, .. queued]).WaitAsync(Patience);

        Assert.Equal([1, 3], _store.BatchSizes);
        Assert.Equal(["first", "b", "c", "d"], jobs.Select(j => j.Tag));
        Assert.Equal(4, jobs.Select(j => j.Id).Distinct().Count());
        Assert.All(jobs, j => Assert.True(j.Id > 0));
    }

    [Fact]
    public async Task Taken_tag_fails_only_its_own_caller()
    {
        await _store.Inner.CreateJobAsync(NewJob("taken"), CancellationToken.None);
        var batcher = new JobCreateBatcher(_store);
        _store.Close();
        var first = batcher.CreateAsync(NewJob("first"), CancellationToken.None);
        await _store.WriteStarted.Task.WaitAsync(Patience);
        var ok = batcher.CreateAsync(NewJob("ok"), CancellationToken.None);
        var dup = batcher.CreateAsync(NewJob("taken", executions: 9), CancellationToken.None);

        _store.Open();

        Assert.Equal("ok", (await ok.WaitAsync(Patience)).Tag);
        var e = await Assert.ThrowsAsync<ConflictException>(() => dup.WaitAsync(Patience));
        Assert.Contains("taken", e.Message);
        await first.WaitAsync(Patience);
        Assert.Equal(0, (await _store.GetJobAsync("shop", "taken", CancellationToken.None))!.Executions);
    }

    [Fact]
    public async Task Tag_repeated_within_one_batch_goes_to_the_first_caller()
    {
        var batcher = new JobCreateBatcher(_store);
        _store.Close();
        var first = batcher.CreateAsync(NewJob("first"), CancellationToken.None);
        await _store.WriteStarted.Task.WaitAsync(Patience);
        var winner = batcher.CreateAsync(NewJob("same", executions: 1), CancellationToken.None);
        var loser = batcher.CreateAsync(NewJob("same", executions: 2), CancellationToken.None);

        _store.Open();

        Assert.Equal(1, (await winner.WaitAsync(Patience)).Executions);
        await Assert.ThrowsAsync<ConflictException>(() => loser.WaitAsync(Patience));
        await first.WaitAsync(Patience);
        Assert.Equal([1, 2], _store.BatchSizes);
    }

    [Fact]
    public async Task Store_failure_fails_every_caller_of_that_batch_and_the_next_batch_still_commits()
    {
        var batcher = new JobCreateBatcher(_store);
        _store.FailNext = new IOException("disk gone");

        var failed = await Assert.ThrowsAsync<IOException>(() => batcher.CreateAsync(NewJob("lost"), CancellationToken.None).WaitAsync(Patience));
        var later = await batcher.CreateAsync(NewJob("kept"), CancellationToken.None).WaitAsync(Patience);

        Assert.Equal("disk gone", failed.Message);
        Assert.Equal("kept", later.Tag);
        Assert.Null(await _store.GetJobAsync("shop", "lost", CancellationToken.None));
    }

    [Fact]
    public async Task Create_cancelled_while_queued_is_left_out_of_the_batch()
    {
        var batcher = new JobCreateBatcher(_store);
        _store.Close();
        var first = batcher.CreateAsync(NewJob("first"), CancellationToken.None);
        await _store.WriteStarted.Task.WaitAsync(Patience);
        using var cts = new CancellationTokenSource();
        var cancelled = batcher.CreateAsync(NewJob("cancelled"), cts.Token);
        var kept = batcher.CreateAsync(NewJob("kept"), CancellationToken.None);
        await cts.CancelAsync();

        _store.Open();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await Task.WhenAll(first, kept).WaitAsync(Patience);
        Assert.Equal([1, 1], _store.BatchSizes);
        Assert.Null(await _store.GetJobAsync("shop", "cancelled", CancellationToken.None));
    }

    [Fact]
    public async Task Batches_hold_at_most_the_configured_number_of_jobs()
    {
        var batcher = new JobCreateBatcher(_store, maxBatch: 2);
        _store.Close();
        var first = batcher.CreateAsync(NewJob("first"), CancellationToken.None);
        await _store.WriteStarted.Task.WaitAsync(Patience);
        var queued = Enumerable.Range(0, 5).Select(i => batcher.CreateAsync(NewJob($"q{i}"), CancellationToken.None)).ToArray();

        _store.Open();
        await Task.WhenAll([first, .. queued]).WaitAsync(Patience);

        Assert.Equal([1, 2, 2, 1], _store.BatchSizes);
    }

    /// <summary>A real SQLite store whose bulk create can be held at a gate (to let creates queue) or made to fail once.</summary>
    private sealed class GatedStore(SqliteJobStore inner) : DelegatingJobStore(inner)
    {
        private TaskCompletionSource _gate = Opened();

        public SqliteJobStore Inner { get; } = inner;
        public List<int> BatchSizes { get; } = [];
        public TaskCompletionSource WriteStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Exception? FailNext { get; set; }

        public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        public void Open() => _gate.TrySetResult();

        public override async Task<IReadOnlyList<JobCreateResult>> CreateJobsAsync(IReadOnlyList<Job> jobs, CancellationToken ct)
        {
            lock (BatchSizes) BatchSizes.Add(jobs.Count);
            WriteStarted.TrySetResult();
            await _gate.Task;
            if (FailNext is { } failure)
            {
                FailNext = null;
                throw failure;
            }
            return await Inner.CreateJobsAsync(jobs, ct);
        }

        private static TaskCompletionSource Opened()
        {
            var tcs = new TaskCompletionSource();
            tcs.SetResult();
            return tcs;
        }
    }
}
