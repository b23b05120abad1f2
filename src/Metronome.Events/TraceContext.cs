using System.Diagnostics;

namespace Metronome.Events;

/// <summary>
/// Carries the W3C trace context of the attempt's activity (<c>traceparent</c>, and <c>tracestate</c> when it has one) to the
/// target: on action and webhook requests (the executors' <see cref="SocketsHttpHandler.ActivityHeadersPropagator"/>) and in
/// broker message headers (<see cref="Inject{TCarrier}"/>). It is .NET's W3C propagator with everything but those two fields
/// left out: baggage is never sent, since a value put there by any code in the process (or a caller's request) could carry
/// a secret to a tenant's target. Nothing is written when there is no current activity (nothing listens to the
/// <c>Metronome</c> source).
/// </summary>
internal sealed class TraceContext : DistributedContextPropagator
{
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    public static readonly TraceContext Propagator = new();

    private static readonly DistributedContextPropagator W3C = CreateW3CPropagator();

    private TraceContext() { }

    public override IReadOnlyCollection<string> Fields { get; } = [TraceParent, TraceState];

    public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter)
    {
        if (activity is null || setter is null) return;
        W3C.Inject(activity, carrier, (c, name, value) =>
        {
            if (name is TraceParent or TraceState) setter(c, name, value);
        });
    }

    public override void ExtractTraceIdAndState(object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState) =>
        W3C.ExtractTraceIdAndState(carrier, getter, out traceId, out traceState);

    /// <summary>Never read: an attempt's activity is a root, and outgoing requests carry no baggage.</summary>
    public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(object? carrier, PropagatorGetterCallback? getter) => null;

    /// <summary>Adds the current activity's <c>traceparent</c> (and <c>tracestate</c>) to a message's headers.</summary>
    public static void Inject<TCarrier>(TCarrier carrier, Action<TCarrier, string, string> set) where TCarrier : class
    {
        if (Activity.Current is not { } activity) return;
        Propagator.Inject(activity, carrier, (c, name, value) =>
        {
            if (value is not null) set((TCarrier)c!, name, value);
        });
    }
}
