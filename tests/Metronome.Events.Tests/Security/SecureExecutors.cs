using Metronome.Core.Execution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metronome.Events.Tests.Security;

/// <summary>Executors built through <c>AddMetronomeEvents</c> with <see cref="EventsOptions"/>, and a log that records every line.</summary>
internal sealed class SecureExecutors : IDisposable
{
    private readonly ServiceProvider _provider;

    public SecureExecutors(Action<EventsOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(Log));
        services.AddMetronomeEvents(configure);
        _provider = services.BuildServiceProvider();
    }

    public RecordingLoggerProvider Log { get; } = new();

    public IEventExecutor Executor(string type) => _provider.GetServices<IEventExecutor>().Single(e => e.EventType == type);

    public void Dispose() => _provider.Dispose();
}

/// <summary>Keeps every formatted log line (category, level, message) in memory.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines { get { lock (_lines) return [.. _lines]; } }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(RecordingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._lines) owner._lines.Add($"{category} {logLevel}: {formatter(state, exception)}");
        }
    }
}
