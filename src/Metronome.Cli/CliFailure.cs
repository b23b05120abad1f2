using System.Net;
using Metronome.Contracts;

namespace Metronome.Cli;

/// <summary>A usage mistake found by a command (not by the parser): reported as one line, exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);

/// <summary>Turns any failure into the one line a person reads, and the exit code a script tests.</summary>
internal static class CliFailure
{
    public const int ApiError = 1;
    public const int UsageError = 2;

    public static (string Line, int ExitCode) Describe(Exception e) => e switch
    {
        CliUsageException u => (u.Message, UsageError),
        Apply.JobsFileException f => (f.Message, UsageError),
        // A name the SDK refused before sending anything (e.g. "jobs delete .."): a usage mistake, said plainly.
        ArgumentException a when a is not ArgumentNullException => (StripParameter(a), UsageError),
        MetronomeApiException api => (Describe(api), ApiError),
        _ => ($"{e.GetType().Name}: {e.Message}", ApiError),
    };

    private static string StripParameter(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);

    private static string Describe(MetronomeApiException e)
    {
        var text = e.StatusCode switch
        {
            0 => $"{e.Detail} (set --url or METRONOME_URL)",
            HttpStatusCode.BadRequest when e.Errors.Count > 0 =>
                "invalid input: " + string.Join("; ", e.Errors.Select(kv => string.Join(" ", kv.Value.Select(m => Prefixed(kv.Key, m))))),
            HttpStatusCode.Unauthorized => $"unauthorized: {e.Detail} (check --api-key or METRONOME_API_KEY)",
            HttpStatusCode.Forbidden => $"forbidden: {e.Detail}",
            _ => e.Detail ?? e.Title ?? $"HTTP {(int)e.StatusCode}",
        };
        // One line, whatever the server wrote.
        return text.ReplaceLineEndings(" ");
    }

    private static string Prefixed(string field, string message) =>
        message.StartsWith(field, StringComparison.Ordinal) ? message.TrimEnd('.') : $"{field}: {message.TrimEnd('.')}";
}
