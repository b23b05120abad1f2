using Metronome.Core.Audit;

namespace Metronome.Core.Tests.Audit;

public sealed class AuditBatcherTests
{
    private static AuditRecord Record(int i) =>
        new("shop", AuditActors.Admin, AuditActions.JobCreate, $"job-{i}", new Dictionary<string, AuditChange>(), DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task Records_queued_while_a_write_is_in_progress_go_to_the_store_together_in_order()
    {
        var sink = new GatedSink();
        var batcher = new AuditBatcher(sink);

        var first = batcher.RecordAsync(Record(0), CancellationToken.None).AsTask();
        await sink.FirstWriteStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var queued = Enumerable.Range(1, 20).Select(i => batcher.RecordAsync(Record(i), CancellationToken.None).AsTask()).ToArray();
        Assert.False(first.IsCompleted); // the caller waits until its record is written
        sink.Release.SetResult();

        await Task.WhenAll(queued.Append(first)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, sink.Batches.Count);
        Assert.Equal(["job-0"], sink.Batches[0].Select(r => r.Target));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => $"job-{i}"), sink.Batches[1].Select(r => r.Target));
    }

    [Fact]
    public async Task A_batch_of_records_is_queued_whole_and_shares_the_next_write_instead_of_one_write_each()
    {
        var sink = new GatedSink();
        var batcher = new AuditBatcher(sink);

        var first = batcher.RecordAsync(Record(0), CancellationToken.None).AsTask();
        await sink.FirstWriteStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var bulk = batcher.RecordBatchAsync([.. Enumerable.Range(1, 600).Select(Record)], CancellationToken.None).AsTask();
        Assert.False(bulk.IsCompleted); // the caller waits until every record of its batch is written
        sink.Release.SetResult();

        await Task.WhenAll(first, bulk).WaitAsync(TimeSpan.FromSeconds(10));
        // 600 records behind a write in progress: two writes of at most 512, in order.
        Assert.Equal([1, 512, 88], sink.Batches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 601).Select(i => $"job-{i}"), sink.Batches.SelectMany(b => b).Select(r => r.Target));
    }

    [Fact]
    public async Task A_failed_write_fails_each_caller_of_that_batch_and_the_next_records_are_still_written()
    {
        var sink = new GatedSink { FailFirst = true };
        var batcher = new AuditBatcher(sink);
        sink.Release.SetResult();

        var failed = await Assert.ThrowsAsync<IOException>(() => batcher.RecordAsync(Record(0), CancellationToken.None).AsTask()).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("disk gone", failed.Message);
        await batcher.RecordAsync(Record(1), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["job-1"], sink.Batches.Last().Select(r => r.Target));
    }

    private sealed class GatedSink : IAuditSink
    {
        public TaskCompletionSource FirstWriteStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<IReadOnlyList<AuditRecord>> Batches { get; } = [];
        public bool FailFirst { get; init; }
        private int _writes;

        public ValueTask RecordAsync(AuditRecord record, CancellationToken cancellationToken) => RecordBatchAsync([record], cancellationToken);

        public async ValueTask RecordBatchAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
        {
            FirstWriteStarted.TrySetResult();
            await Release.Task;
            if (Interlocked.Increment(ref _writes) == 1 && FailFirst) throw new IOException("disk gone");
            lock (Batches) Batches.Add([.. records]);
        }
    }
}
