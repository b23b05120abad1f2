using System.Collections.Concurrent;
using Quartz;

namespace Metronome.Load;

/// <summary>
/// Quartz.NET 4 with the same workload: one job + SimpleTrigger (repeat forever at the interval) per Metronome job, start
/// times spread the same way, and a no-op <see cref="IJob"/> that reports to the <see cref="FireProbe"/>. Tuned for
/// throughput as its documentation suggests: a thread pool as large as Metronome's concurrency bound, trigger
/// acquisition batches as large as the pool, and a 20 ms fire-ahead window (Metronome's claim look-ahead); the precision
/// scenario uses Quartz's default batch and window instead, because a fire-ahead window fires triggers early.
/// </summary>
internal sealed class QuartzRig : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<string, FireProbe> Probes = new();
    private readonly IScheduler _scheduler;

    private QuartzRig(IScheduler scheduler) => _scheduler = scheduler;

    public enum Store { Ram, Sqlite, Postgres }

    public static async Task<QuartzRig> StartAsync(Store store, string? connection, int jobs, long intervalMs, TimeSpan lead, FireProbe probe, int threads = 64, bool throughputTuned = true)
    {
        var name = $"bench-{Guid.NewGuid():N}";
        Probes[name] = probe;
        var builder = QuartzSchedulerBuilder.Create(q =>
        {
            q.ConfigureScheduler(o =>
            {
                o.InstanceName = name;
                if (!throughputTuned) return; // precision: Quartz's defaults, which never fire a trigger early
                o.MaxBatchSize = threads;
                o.BatchTriggerAcquisitionFireAheadTimeWindow = TimeSpan.FromMilliseconds(20);
            });
            q.UseDefaultThreadPool(threads);
            switch (store)
            {
                case Store.Ram:
                    q.UseInMemoryStore();
                    break;
                case Store.Sqlite:
                    q.UsePersistentStore(s =>
                    {
                        s.UseSqlite(connection!);
                        s.UseSystemTextJsonSerializer();
                        s.ProvisionSchema();
                    });
                    break;
                case Store.Postgres:
                    q.UsePersistentStore(s =>
                    {
                        s.UsePostgres(connection!);
                        s.UseSystemTextJsonSerializer();
                        s.ProvisionSchema();
                    });
                    break;
            }
        });
        var scheduler = await builder.BuildScheduler();
        var start = DateTimeOffset.UtcNow + lead;
        const int chunk = 1000;
        for (int from = 0; from < jobs; from += chunk)
        {
            var batch = new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>>();
            for (int i = from; i < Math.Min(jobs, from + chunk); i++)
            {
                var job = JobBuilder.Create<NoopJob>().WithIdentity($"j{i}").Build();
                var trigger = TriggerBuilder.Create().WithIdentity($"t{i}").ForJob(job)
                    .StartAt(MetronomeRig.FirstDue(start, i, jobs, intervalMs))
                    .WithSimpleSchedule(x => x.WithInterval(TimeSpan.FromMilliseconds(intervalMs)).RepeatForever())
                    .Build();
                batch[job] = [trigger];
            }
            await scheduler.ScheduleJobs(batch, ScheduleJobOptions.Replacing);
        }
        await scheduler.Start();
        return new QuartzRig(scheduler);
    }

    public async ValueTask DisposeAsync()
    {
        await _scheduler.Shutdown(waitForJobsToComplete: true);
        Probes.TryRemove(_scheduler.SchedulerName, out _);
    }

    /// <summary>The no-op body.</summary>
    public sealed class NoopJob : IJob
    {
        public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
        {
            if (Probes.TryGetValue(context.Scheduler.SchedulerName, out var probe))
                probe.OnFire(context.ScheduledFireTimeUtc, DateTimeOffset.UtcNow);
            return ValueTask.CompletedTask;
        }
    }
}
