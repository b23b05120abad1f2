using Hangfire;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;

namespace Metronome.Load;

/// <summary>
/// Hangfire 1.8 with the closest workload it can express: one recurring job per Metronome job on a per-second cron
/// (<c>* * * * * *</c>, its finest granularity), so the demand is one fire per job per second whatever the Metronome
/// interval; a no-op static method reports to the <see cref="FireProbe"/>. Hangfire does not hand the job its scheduled
/// occurrence, so no lateness is recorded.
/// </summary>
internal sealed class HangfireRig : IAsyncDisposable
{
    private static FireProbe? _probe;
    private readonly BackgroundJobServer _server;
    private readonly IDisposable? _storage;

    private HangfireRig(BackgroundJobServer server, IDisposable? storage)
    {
        _server = server;
        _storage = storage;
    }

    public static async Task<HangfireRig> StartAsync(string? postgres, int jobs, FireProbe probe, int workers = 64)
    {
        _probe = probe;
        JobStorage storage = postgres is null
            ? new InMemoryStorage()
            : new PostgreSqlStorage(new NpgsqlConnectionFactory(postgres, new PostgreSqlStorageOptions()), new PostgreSqlStorageOptions
            {
                PrepareSchemaIfNecessary = true, QueuePollInterval = TimeSpan.FromMilliseconds(50), SchemaName = "hangfire",
            });
        var manager = new RecurringJobManager(storage);
        await Task.Run(() =>
        {
            for (int i = 0; i < jobs; i++)
                manager.AddOrUpdate($"j{i}", () => HangfireNoop.Run(), "* * * * * *");
        });
        var server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            WorkerCount = workers, SchedulePollingInterval = TimeSpan.FromMilliseconds(100), ServerName = "bench",
        }, storage);
        return new HangfireRig(server, storage as IDisposable);
    }

    internal static void OnFire() => _probe?.OnFire(null, DateTimeOffset.UtcNow);

    public ValueTask DisposeAsync()
    {
        _server.SendStop();
        _server.WaitForShutdown(TimeSpan.FromSeconds(10));
        _server.Dispose();
        _storage?.Dispose();
        _probe = null;
        return ValueTask.CompletedTask;
    }
}

/// <summary>The no-op body Hangfire invokes (a public static method, as Hangfire serializes the call).</summary>
public static class HangfireNoop
{
    public static void Run() => HangfireRig.OnFire();
}
