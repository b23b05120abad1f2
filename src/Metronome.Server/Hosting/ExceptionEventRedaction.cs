using System.Diagnostics;
using Metronome.Core.Telemetry;

namespace Metronome.Server.Hosting;

/// <summary>
/// .NET's HttpClient records a failed request's exception on its span (an <c>exception</c> event with the message and the
/// stack trace), and a message such as "Connection refused (host:port)" quotes the target, whose host may be a tenant's
/// secret. This listener supplies those attributes itself for spans inside an attempt: the message through the attempt's
/// redactor (<see cref="MetronomeTelemetry.RedactProperty"/>), and no stack trace (a peer's failure is not a bug). It
/// samples nothing, so it changes no sampling decision.
/// </summary>
internal sealed class ExceptionEventRedaction : IHostedService, IDisposable
{
    private ActivityListener? _listener;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ExceptionRecorder = Record,
        };
        ActivitySource.AddActivityListener(_listener);
        return Task.CompletedTask;
    }

    private static void Record(Activity activity, Exception exception, ref TagList tags)
    {
        for (var a = activity.Parent; a is not null; a = a.Parent)
        {
            if (a.GetCustomProperty(MetronomeTelemetry.RedactProperty) is not Func<string?, string?> redact) continue;
            tags.Add("exception.message", redact(exception.Message));
            tags.Add("exception.stacktrace", exception.GetType().FullName + ": " + redact(exception.Message));
            return;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener?.Dispose();
}
