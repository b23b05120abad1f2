using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Metronome.Core.Execution;
using Metronome.Core.Telemetry;
using Metronome.Core.Tests.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metronome.Core.Tests.Telemetry;

/// <summary>The engine's instruments, activities and attempt lines, on a real engine and SQLite file driven by fake time.</summary>
public sealed class EngineTelemetryTests
{
    [Fact]
    public async Task Instruments_report_each_attempt_with_its_lateness_duration_and_the_engine_gauges()
    {
        await using var h = await EngineHarness.StartAsync();
        using var recorded = new Recorded(h.Services.GetRequiredService<EngineMetrics>().Meter);
        h.Executor.Behaviour = (context, _) =>
        {
            h.Time.Advance(TimeSpan.FromMilliseconds(250)); // the attempt runs 250 ms of fake time
            return Task.FromResult(context.JobTag == "bad" ? ExecutionOutcome.Failure(ErrorKinds.HttpStatus, "Unexpected HTTP status 503") : null);
        };
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("good", 1, 1000));
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("forever", 0, 3_600_000));
        h.Time.Advance(TimeSpan.FromMilliseconds(1300)); // due at +1 s, claimed and started at +1.3 s
        await h.OutcomesAsync(1);
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("bad", 1, 1000));
        h.Time.Advance(TimeSpan.FromMilliseconds(1000));
        await h.OutcomesAsync(2);
        await h.IdleAsync();

        Assert.Equal(1, recorded.Sum("metronome.runs", ("status", "succeeded"), ("event_type", "action"), ("product", "shop")));
        Assert.Equal(1, recorded.Sum("metronome.runs", ("status", "failed"), ("event_type", "action"), ("product", "shop")));
        Assert.Equal(2, recorded.Sum("metronome.runs"));
        var lateness = recorded.Values("metronome.run.lateness");
        Assert.Equal(2, lateness.Count);
        Assert.Equal(0.3, lateness[0], 3);
        Assert.All(recorded.Values("metronome.run.duration"), d => Assert.Equal(0.25, d, 3));
        Assert.NotEmpty(recorded.Values("metronome.claim.duration"));
        Assert.NotEmpty(recorded.Values("metronome.store.commit.duration"));

        recorded.Observe();
        Assert.Equal(1, recorded.Last("metronome.jobs.scheduled")); // "forever" is due in an hour; the others completed
        Assert.Equal(0, recorded.Last("metronome.runs.in_flight"));
        Assert.Equal(1, recorded.Last("metronome.cluster.nodes"));
        Assert.Equal(1, recorded.Last("metronome.cluster.leader"));

        h.Executor.Behaviour = (_, _) => h.Executor.Hold();
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("held", 1, 1000));
        h.Time.Advance(TimeSpan.FromSeconds(1));
        await h.AttemptsAsync(3);
        recorded.Observe();
        Assert.Equal(1, recorded.Last("metronome.runs.in_flight"));
    }

    [Fact]
    public async Task Each_attempt_is_one_root_activity_tagged_with_its_run_and_outcome()
    {
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == MetronomeTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if (a.GetTagItem("metronome.job.tag") is "traced-job") activities.Enqueue(a); },
        };
        ActivitySource.AddActivityListener(listener);
        await using var h = await EngineHarness.StartAsync();
        string? traceSeenByExecutor = null;
        h.Executor.Behaviour = (context, _) =>
        {
            traceSeenByExecutor = Activity.Current?.TraceId.ToHexString();
            return Task.FromResult<ExecutionOutcome?>(ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused, "Connection refused by target:80."));
        };
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("traced-job", 1, 1000));
        h.Time.Advance(TimeSpan.FromSeconds(1));
        await h.OutcomesAsync(1);

        var attempt = Assert.Single(activities);
        Assert.Equal("metronome.attempt", attempt.OperationName);
        Assert.Equal(default, attempt.ParentSpanId);
        Assert.Equal(attempt.TraceId.ToHexString(), traceSeenByExecutor); // current while the executor ran
        Assert.Equal("shop", attempt.GetTagItem("metronome.product"));
        Assert.Equal(1L, attempt.GetTagItem("metronome.run.slot"));
        Assert.Equal(1, attempt.GetTagItem("metronome.run.attempt"));
        Assert.Equal("action", attempt.GetTagItem("metronome.event.type"));
        Assert.Equal("failed", attempt.GetTagItem("metronome.run.status"));
        Assert.Equal(ErrorKinds.ConnectionRefused, attempt.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, attempt.Status);
    }

    [Fact]
    public async Task Each_finished_attempt_writes_one_line_information_when_it_succeeded_and_warning_otherwise()
    {
        await using var h = await EngineHarness.StartAsync();
        h.Executor.Behaviour = (context, _) => Task.FromResult(context.JobTag == "refused"
            ? ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused, "Connection refused by 127.0.0.1:9.") : null);
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("fine", 1, 1000));
        await h.Jobs.CreateAsync("shop", EngineHarness.Job("refused", 1, 1000));
        h.Time.Advance(TimeSpan.FromSeconds(1));
        await h.OutcomesAsync(2);

        var lines = h.Logs.Lines.Where(l => l.Category.EndsWith(".RunDispatcher", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        var fine = Assert.Single(lines, l => l.Message.Contains("shop/fine", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, fine.Level);
        Assert.Contains("slot 1 attempt 1 (action) succeeded", fine.Message);
        var refused = Assert.Single(lines, l => l.Message.Contains("shop/refused", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, refused.Level);
        Assert.Contains("failed (connection_refused)", refused.Message);
        Assert.DoesNotContain("\n", refused.Message);
    }

    /// <summary>Measurements of one meter instance (the harness's own; other tests' engines run in parallel).</summary>
    private sealed class Recorded : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> _all = new();

        public Recorded(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter == meter) l.EnableMeasurementEvents(instrument); };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => _all.Enqueue((i.Name, v, tags.ToArray())));
            _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => _all.Enqueue((i.Name, v, tags.ToArray())));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => _all.Enqueue((i.Name, v, tags.ToArray())));
            _listener.Start();
        }

        public void Observe() => _listener.RecordObservableInstruments();

        public double Sum(string name, params (string Key, string Value)[] tags) =>
            _all.Where(m => m.Name == name && tags.All(t => m.Tags.Any(k => k.Key == t.Key && Equals(k.Value, t.Value)))).Sum(m => m.Value);

        public List<double> Values(string name) => [.. _all.Where(m => m.Name == name).Select(m => m.Value)];

        public double Last(string name) => _all.Last(m => m.Name == name).Value;

        public void Dispose() => _listener.Dispose();
    }
}
