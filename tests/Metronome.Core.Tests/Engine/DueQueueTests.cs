using Metronome.Core.Engine;

namespace Metronome.Core.Tests.Engine;

public sealed class DueQueueTests
{
    [Fact]
    public void Pops_due_jobs_in_time_order_and_leaves_later_ones()
    {
        var q = new DueQueue();
        q.Set(1, 30);
        q.Set(2, 10);
        q.Set(3, 20);
        q.Set(4, 100);
        var due = new List<(long, long)>();
        q.PopDue(30, 10, due);
        Assert.Equal([(2L, 10L), (3L, 20L), (1L, 30L)], due);
        Assert.Equal(100, q.PeekEarliest());
        Assert.Equal(1, q.Count);
    }

    [Fact]
    public void Rescheduling_replaces_the_old_due_time_and_removal_forgets_the_job()
    {
        var q = new DueQueue();
        q.Set(1, 10);
        q.Set(1, 50);
        q.Set(2, 20);
        q.Set(2, null);
        Assert.Equal(50, q.PeekEarliest());
        var due = new List<(long, long)>();
        q.PopDue(40, 10, due);
        Assert.Empty(due);
        q.PopDue(50, 10, due);
        Assert.Equal([(1L, 50L)], due);
    }

    [Fact]
    public void Pop_respects_the_batch_limit()
    {
        var q = new DueQueue();
        for (long i = 0; i < 100; i++) q.Set(i, i);
        var due = new List<(long, long)>();
        q.PopDue(1000, 10, due);
        Assert.Equal(10, due.Count);
        Assert.Equal(90, q.Count);
    }

    [Fact]
    public void Heap_stays_bounded_under_many_reschedules()
    {
        var q = new DueQueue();
        for (int round = 0; round < 50; round++)
            for (long id = 0; id < 100; id++) q.Set(id, round * 1000 + id);
        Assert.Equal(100, q.Count);
        Assert.Equal(49_000, q.PeekEarliest());
    }
}
