using System.Diagnostics;

namespace Metronome.Events.Tests.Broker;

/// <summary>
/// Stands for the dispatcher's attempt activity: a sampled, current activity carrying a tracestate and baggage, so tests can
/// check that a message carries its <c>traceparent</c> and <c>tracestate</c> and never its baggage.
/// </summary>
internal sealed class TracedAttempt : IDisposable
{
    private readonly ActivitySource _source = new($"Metronome.Events.Tests.TracedAttempt.{Guid.NewGuid():N}");
    private readonly ActivityListener _listener;

    public TracedAttempt()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s == _source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
        Activity = _source.StartActivity("attempt") ?? throw new InvalidOperationException("not sampled");
        Activity.TraceStateString = "metronome=t1";
        Activity.AddBaggage("secret-baggage", "never-sent");
    }

    public Activity Activity { get; }

    /// <summary>The W3C traceparent of the activity: <c>00-{trace}-{span}-01</c>.</summary>
    public string TraceParent => $"00-{Activity.TraceId.ToHexString()}-{Activity.SpanId.ToHexString()}-01";

    public void Dispose()
    {
        Activity.Dispose();
        _listener.Dispose();
        _source.Dispose();
    }
}
