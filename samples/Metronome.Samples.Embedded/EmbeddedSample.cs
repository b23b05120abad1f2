using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Execution;
using Metronome.Core.Hosting;
using Metronome.Events;
using Metronome.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Metronome.Samples;

/// <summary>
/// Metronome inside a plain generic host: SQLite store, the built-in executors, and a .NET function the jobs call.
/// </summary>
public static class EmbeddedSample
{
    /// <summary>The tag under which the .NET function is registered (the event's <c>handler</c>).</summary>
    public const string FunctionTag = "build-report";

    /// <summary>A host running Metronome with its data in <paramref name="databasePath"/>; <paramref name="reports"/> records each call.</summary>
    public static HostApplicationBuilder CreateBuilder(string databasePath, ReportLog reports, string[]? args = null)
    {
        var builder = Host.CreateApplicationBuilder(args ?? []);
        builder.Services.AddSingleton(reports);
        builder.Services.AddMetronome(o =>
        {
            o.UseSqlite(databasePath);
            o.AddFunction(FunctionTag, (input, context, ct) => Task.FromResult<object?>(reports.Record(context)));
        });
        // The executors (action, function: javascript and dotnet) live in Metronome.Events.
        builder.Services.AddMetronomeEvents();
        builder.Services.AddSingleton<ReportJobs>();
        return builder;
    }

    /// <summary>The function event that calls the registered .NET function.</summary>
    public static ProductEvent ReportEvent() => new()
    {
        Type = JobEventTypes.Function, Tag = "report", Name = "Build the report",
        Definition = JsonSerializer.SerializeToElement(new { language = "dotnet", handler = FunctionTag }),
    };
}

/// <summary>What the sample's .NET function did: one entry per call.</summary>
public sealed class ReportLog
{
    private readonly List<FunctionContext> _calls = [];
    private readonly TaskCompletionSource _enough = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _awaited = int.MaxValue;

    public IReadOnlyList<FunctionContext> Calls { get { lock (_calls) return [.. _calls]; } }

    public object Record(FunctionContext context)
    {
        lock (_calls)
        {
            _calls.Add(context);
            if (_calls.Count >= _awaited) _enough.TrySetResult();
        }
        return new { report = $"report #{context.Slot}", context.IdempotencyKey };
    }

    /// <summary>Completes once the function has been called <paramref name="count"/> times.</summary>
    public Task WhenCalledAsync(int count, CancellationToken ct)
    {
        lock (_calls)
        {
            _awaited = count;
            if (_calls.Count >= count) _enough.TrySetResult();
        }
        return _enough.Task.WaitAsync(ct);
    }
}
