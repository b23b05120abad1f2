using System.Net;

namespace Metronome.Contracts;

/// <summary>
/// A call to Metronome failed. Thrown alike by the HTTP client (<c>MetronomeClient</c>) and by the in-process
/// implementation of an embedded host, so that code handling failures does not care where the engine runs.
/// <see cref="StatusCode"/> is the HTTP status the server answered (or would answer), and the remaining properties are
/// the RFC 9457 problem details; a 400 names each invalid field in <see cref="Errors"/>.
/// A server that could not be reached at all (connection refused, timeout, circuit open) gives <see cref="StatusCode"/> 0
/// and the transport failure as <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class MetronomeApiException : Exception
{
    private static readonly IReadOnlyDictionary<string, string[]> NoErrors = new Dictionary<string, string[]>();

    public MetronomeApiException(HttpStatusCode statusCode, string? title, string? detail,
        IReadOnlyDictionary<string, string[]>? errors = null, string? traceId = null, Exception? innerException = null)
        : base(Describe(statusCode, title, detail, errors), innerException)
    {
        StatusCode = statusCode;
        Title = title;
        Detail = detail;
        Errors = errors ?? NoErrors;
        TraceId = traceId;
    }

    /// <summary>The HTTP status of the answer; 0 when the server was not reached.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The problem's short title (<c>Not Found</c>, <c>One or more fields are invalid.</c>).</summary>
    public string? Title { get; }

    /// <summary>What went wrong, in a sentence naming the resource (<c>job 'nope' not found in product 'shop'</c>).</summary>
    public string? Detail { get; }

    /// <summary>Invalid fields (snake_case, dotted for nesting) and their messages; empty unless the status is 400.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The server's trace id of the failed request, when it gave one (quote it when reporting a bug).</summary>
    public string? TraceId { get; }

    /// <summary>True when the server was never reached (no HTTP status).</summary>
    public bool IsTransportFailure => StatusCode == 0;

    private static string Describe(HttpStatusCode status, string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors)
    {
        if (errors is { Count: > 0 })
            return string.Join("; ", errors.Select(kv => $"{kv.Key}: {string.Join(" ", kv.Value)}"));
        var text = detail ?? title ?? (status == 0 ? "the server could not be reached" : $"HTTP {(int)status}");
        return text;
    }
}
