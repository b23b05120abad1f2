using System.Collections.Concurrent;
using Metronome.Server.Tests.Infrastructure;
using Metronome.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metronome.Server.Tests.Telemetry;

/// <summary>The server's log of real HTTP runs: one structured line per finished attempt, no stack trace, no request chatter.</summary>
public sealed class AttemptLogTests
{
    [Fact]
    public async Task A_real_run_logs_one_structured_line_per_attempt_and_a_refused_connection_no_stack_trace()
    {
        var logs = new CapturedLogs();
        await using var target = await TargetListener.StartAsync();
        await using var server = await TestServer.StartAsync(configure: b => b.Logging.AddProvider(logs));
        var product = (await server.CreateProductAsync()).Tag!;
        var ok = await server.Admin.CreateActionEventAsync(product, target.Url);
        var refused = await server.Admin.CreateActionEventAsync(product, new Uri($"http://127.0.0.1:{FreePort.Next()}/closed"));
        await server.Admin.CreateJobAsync(product, TestApi.Job(ok.Tag!, "ok", executions: 2, intervals: 1000));
        await server.Admin.CreateJobAsync(product, TestApi.Job(refused.Tag!, "refused", executions: 1, intervals: 100));
        await MetricsScrapeTests.FinishedAsync(server.Admin, product, "ok", 2);
        await MetricsScrapeTests.FinishedAsync(server.Admin, product, "refused", 1);
        await server.WaitForEngineIdleAsync();

        var attempts = logs.Records.Where(r => r.Category.EndsWith(".RunDispatcher", StringComparison.Ordinal) && Equals(r.Get("Product"), product)).ToList();
        Assert.True(attempts.Count == 3, string.Join("\n", logs.Records.Select(r => $"{r.Level} {r.Category} {r.Message}")));
        var succeeded = attempts.Where(r => Equals(r.Get("JobTag"), "ok")).ToList();
        Assert.Equal(2, succeeded.Count);
        Assert.All(succeeded, r =>
        {
            Assert.Equal(LogLevel.Information, r.Level);
            Assert.Equal("succeeded", r.Get("Status"));
            Assert.Equal("action", r.Get("EventType"));
            Assert.Equal(1, r.Get("Attempt"));
            Assert.IsType<long>(r.Get("DurationMs"));
            Assert.IsType<long>(r.Get("LatenessMs"));
        });
        Assert.Equal(2, succeeded.Select(r => (long)r.Get("Slot")!).Distinct().Count());
        var failed = Assert.Single(attempts, r => Equals(r.Get("JobTag"), "refused"));
        Assert.Equal(LogLevel.Warning, failed.Level);
        Assert.Equal("failed", failed.Get("Status"));
        Assert.Equal("connection_refused", failed.Get("ErrorKind"));
        Assert.Null(failed.Exception);
        Assert.DoesNotContain("\n", failed.Message);

        // Nothing else logged a stack trace, and HttpClient's handlers said nothing about these requests.
        Assert.All(logs.Records, r => Assert.Null(r.Exception));
        Assert.DoesNotContain(logs.Records, r => r.Category.StartsWith("System.Net.Http", StringComparison.Ordinal));
    }

    internal sealed record LogRecord(LogLevel Level, string Category, string Message, Exception? Exception, IReadOnlyList<KeyValuePair<string, object?>> State)
    {
        public object? Get(string name) => State.FirstOrDefault(kv => kv.Key == name).Value;
    }

    internal sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<LogRecord> Records { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Category(this, categoryName);

        public void Dispose() { }

        private sealed class Category(CapturedLogs owner, string name) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel)) return;
                var pairs = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
                owner.Records.Enqueue(new LogRecord(logLevel, name, formatter(state, exception), exception, [.. pairs]));
            }
        }
    }
}
