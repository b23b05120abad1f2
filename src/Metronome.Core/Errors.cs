using System.Net;

namespace Metronome.Core;

/// <summary>Input that breaks the contract; <see cref="Errors"/> names each field (snake_case, dotted for nesting).</summary>
public sealed class ValidationFailedException(IReadOnlyDictionary<string, string[]> errors)
    : Exception("One or more fields are invalid: " + string.Join(", ", errors.Keys))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    public static ValidationFailedException For(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>A named resource does not exist (or is not visible to the caller).</summary>
public sealed class NotFoundException(string message) : Exception(message);

/// <summary>The request conflicts with the current state (a taken tag, an event still used by jobs).</summary>
public sealed class ConflictException(string message) : Exception(message);

/// <summary>Collects field errors, then throws them all at once.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsEmpty => _errors.Count == 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
    }

    public void ThrowIfAny()
    {
        if (!IsEmpty) throw new ValidationFailedException(_errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()));
    }
}

/// <summary>
/// The store cannot keep what it is given (its database file was deleted, replaced or made read-only): a write is
/// refused rather than acknowledged and then lost. The API answers 503.
/// </summary>
public sealed class StoreUnavailableException(string message) : Exception(message);

/// <summary>
/// What a domain failure answers, as status, title, detail and field errors: the one mapping shared by the REST API's
/// exception handler (as RFC 9457 problem details) and the embedded <c>IMetronome</c> (as a <c>MetronomeApiException</c>),
/// so that a call fails alike in process and over HTTP.
/// </summary>
public sealed record DomainProblem(HttpStatusCode Status, string Title, string? Detail, IReadOnlyDictionary<string, string[]>? Errors = null)
{
    /// <summary>The problem <paramref name="exception"/> stands for, or null when it is no domain failure (a bug, a cancellation).</summary>
    public static DomainProblem? From(Exception exception) => exception switch
    {
        ValidationFailedException v => new(HttpStatusCode.BadRequest, "One or more fields are invalid.", null, v.Errors),
        NotFoundException => new(HttpStatusCode.NotFound, "Not Found", exception.Message),
        ConflictException => new(HttpStatusCode.Conflict, "Conflict", exception.Message),
        StoreUnavailableException => new(HttpStatusCode.ServiceUnavailable, "Service Unavailable", exception.Message),
        _ => null,
    };
}
