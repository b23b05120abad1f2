using System.Diagnostics;
using Metronome.Core.Runs;
using Metronome.Core.Storage;

namespace Metronome.Core.Telemetry;

/// <summary>
/// The activity of one attempt, from the <see cref="MetronomeTelemetry.Name"/> activity source: started by the dispatcher
/// around the executor call (so an executor's outgoing HTTP request or broker message carries its W3C <c>traceparent</c>),
/// tagged with product, job tag, slot, attempt and event type, and with the outcome when it ends. None is created while
/// nothing listens to the source (<see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null then).
/// </summary>
/// <remarks>
/// The source is static, as .NET and OpenTelemetry recommend: listeners subscribe by name, and a source per host would
/// only duplicate the subscription. An attempt's activity is always a root: the work item that starts it may carry the
/// ambient activity of whatever queued it (an API request that triggered the job), which is not the attempt's parent.
/// Tags carry names and numbers only, never a definition's value, so no secret reaches a span.
/// </remarks>
internal static class AttemptActivities
{
    public const string AttemptName = "metronome.attempt";

    public static readonly ActivitySource Source = new(MetronomeTelemetry.Name, typeof(AttemptActivities).Assembly.GetName().Version?.ToString());

    public static Activity? Start(ClaimedRun claimed)
    {
        if (!Source.HasListeners()) return null;
        if (Activity.Current is not null) Activity.Current = null;
        var run = claimed.Run;
        var activity = Source.StartActivity(AttemptName, ActivityKind.Internal, parentContext: default);
        if (activity is null) return null;
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("metronome.product", run.Product);
            activity.SetTag("metronome.job.tag", run.JobTag);
            activity.SetTag("metronome.run.id", run.Id);
            activity.SetTag("metronome.run.slot", run.Slot);
            activity.SetTag("metronome.run.attempt", run.Attempt);
            activity.SetTag("metronome.event.type", claimed.EventType);
            activity.SetTag("metronome.event.tag", claimed.EventTag);
        }
        return activity;
    }

    /// <summary>
    /// Lets instrumentation below the attempt (an executor's HTTP span) mask the product's secrets: a redaction function as the
    /// activity's <see cref="MetronomeTelemetry.RedactProperty"/> custom property, which exporters never see.
    /// </summary>
    public static void UseSecrets(IReadOnlyDictionary<string, string>? secrets)
    {
        if (Activity.Current is not { } activity || activity.Source != Source) return;
        activity.SetCustomProperty(MetronomeTelemetry.RedactProperty, new Func<string?, string?>(text => Execution.SecretRedactor.Redact(text, secrets)));
    }

    /// <summary>Tags the outcome and ends the activity (null: the attempt was handed back at a stop, it did not finish).</summary>
    public static void Stop(Activity? activity, RunStatus? status, string? errorKind)
    {
        if (activity is null) return;
        var outcome = status?.ToWire() ?? "handed_back";
        activity.SetTag("metronome.run.status", outcome);
        if (status is { } s && s != RunStatus.Succeeded)
        {
            activity.SetTag("error.type", errorKind ?? outcome);
            activity.SetStatus(ActivityStatusCode.Error, errorKind ?? outcome);
        }
        activity.Dispose();
    }
}
