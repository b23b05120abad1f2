using System.Collections.Concurrent;
using Metronome.Core.Engine.Cluster;
using Metronome.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Metronome.Core.Tests.Engine;

/// <summary>The listener routes each kind of note to its handler, and drops the catalogue caches whenever listening (re)starts.</summary>
public sealed class ScheduleChangeListenerTests
{
    [Fact]
    public async Task Catalog_notes_reach_the_catalog_handler_and_every_connection_starts_from_empty_caches()
    {
        var events = new ConcurrentQueue<string>();
        var feed = new ScriptedFeed();
        var listener = new ScheduleChangeListener(feed, new ClusterOptions(), new FakeTimeProvider(), c => events.Enqueue($"job {c.JobId}"),
            _ => { events.Enqueue("reload"); return Task.CompletedTask; }, p => events.Enqueue($"catalog {p}"), () => events.Enqueue("clear"),
            NullLogger.Instance);

        listener.Start();
        await feed.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await listener.StopAsync();

        Assert.Equal(["clear", "reload", "job 7", "catalog shop"], events.ToArray());
    }

    private sealed class ScriptedFeed : IScheduleChangeFeed
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task ListenAsync(Func<Task> listening, Action<ScheduleChange> changed, CancellationToken ct) =>
            throw new InvalidOperationException("the listener must ask for catalogue changes too");

        public async Task ListenAsync(Func<Task> listening, Action<ScheduleChange> changed, Action<string> catalogChanged, CancellationToken ct)
        {
            await listening();
            changed(new ScheduleChange(7, null, Cancelled: true));
            catalogChanged("shop");
            Done.TrySetResult();
            // Listen until the listener stops (as a real feed does), then return quietly.
            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (ct.Register(() => stopped.TrySetResult())) await stopped.Task;
        }
    }
}
