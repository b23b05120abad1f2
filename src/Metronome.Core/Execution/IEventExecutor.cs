using System.Text.Json;
using Metronome.Core.Events;

namespace Metronome.Core.Execution;

/// <summary>
/// Executes one event type. Implementations return an outcome for every failure they understand (an unexpected
/// status, a refused connection, a rejected message) with a stable <see cref="ExecutionOutcome.ErrorKind"/>;
/// anything else may throw and is caught once by the dispatcher. The attempt's timeout cancels <c>ct</c>.
/// </summary>
public interface IEventExecutor
{
    /// <summary>The event type handled, in wire form (<c>action</c>, <c>function</c>, ...).</summary>
    string EventType { get; }

    /// <summary>Checks a definition at create/update, adding errors named <c>definition.&lt;field&gt;</c>.</summary>
    void Validate(JsonElement definition, Core.ValidationErrors errors);

    Task<ExecutionOutcome> ExecuteAsync(ExecutionContext context, CancellationToken ct);
}

/// <summary>What an executor is handed for one attempt.</summary>
public sealed record ExecutionContext
{
    public required string Product { get; init; }
    public required string JobTag { get; init; }
    public required string JobName { get; init; }
    public required string RunId { get; init; }
    public required long Slot { get; init; }
    public required int Attempt { get; init; }
    public required DateTimeOffset ScheduledAt { get; init; }
    /// <summary><c>product/job/slot</c>, the same for every attempt of a slot.</summary>
    public required string IdempotencyKey { get; init; }
    public required EventRecord Event { get; init; }
    /// <summary>The job's input (a JSON object).</summary>
    public required JsonElement Input { get; init; }
    /// <summary>The product's secrets, decrypted, by name. Never to be logged or recorded.</summary>
    public required IReadOnlyDictionary<string, string> Secrets { get; init; }
    /// <summary>The attempt's timeout (also enforced by the dispatcher through <c>ct</c>).</summary>
    public required TimeSpan Timeout { get; init; }
}

/// <summary>The result of one attempt, as a value.</summary>
public sealed record ExecutionOutcome(bool Succeeded, string? OutputJson, string? ErrorMessage, string? ErrorKind)
{
    public static ExecutionOutcome Success(string? outputJson = null) => new(true, outputJson, null, null);
    public static ExecutionOutcome Failure(string kind, string message, string? outputJson = null) => new(false, outputJson, message, kind);
}

/// <summary>Stable error kinds shared by every executor.</summary>
public static class ErrorKinds
{
    public const string Timeout = "timeout";
    public const string ConnectionRefused = "connection_refused";
    public const string AuthFailed = "auth_failed";
    public const string Rejected = "rejected";
    public const string HttpStatus = "http_status";
    public const string FunctionError = "function_error";
    public const string LimitExceeded = "limit_exceeded";
    public const string Exception = "exception";
    public const string Abandoned = "abandoned";
    public const string EventMissing = "event_missing";
    public const string NotRegistered = "not_registered";
    /// <summary>The egress policy refused the destination (address, network or host name); nothing was sent.</summary>
    public const string EgressDenied = "egress_denied";
    /// <summary>The process running the attempt ended (a function's worker: stack overflow, out of memory, killed).</summary>
    public const string Crashed = "crashed";
    /// <summary>A <c>skipped</c> run: the previous execution was still running (<c>overlap: skip</c>).</summary>
    public const string Overlap = "overlap";
    /// <summary>A <c>skipped</c> run: missed slots older than the job's <c>catch_up_limit</c> (<c>misfire: catch_up</c>).</summary>
    public const string Misfire = "misfire";
}

/// <summary>Decrypts and encrypts product secrets (Data Protection in the server).</summary>
public interface ISecretProtector
{
    string Protect(string plaintext);
    string Unprotect(string protectedValue);
}

/// <summary>A .NET function registered by tag in the hosting process (event <c>function</c>, language <c>dotnet</c>).</summary>
/// <returns>The output, serialised to JSON and recorded on the run.</returns>
public delegate Task<object?> DotnetFunctionHandler(JsonElement input, FunctionContext context, CancellationToken ct);

/// <summary>What a .NET function learns of the run it serves.</summary>
public sealed record FunctionContext(string Product, string JobTag, string RunId, long Slot, int Attempt, DateTimeOffset ScheduledAt, string IdempotencyKey);

/// <summary>A registration of a .NET function, collected from DI.</summary>
public sealed record DotnetFunctionRegistration(string Tag, DotnetFunctionHandler Handler);
