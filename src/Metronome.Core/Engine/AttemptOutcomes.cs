using System.Text.Json;
using Metronome.Core.Execution;
using Metronome.Core.Runs;

namespace Metronome.Core.Engine;

/// <summary>How an executor's outcome is recorded on its run: the status it maps to and the output kept.</summary>
internal static class AttemptOutcomes
{
    /// <summary>
    /// The status an executor's outcome is recorded with: a timeout is <c>timed_out</c> whoever measured it (the
    /// definition's own <c>timeout_ms</c> inside the executor, or the attempt's timeout in the dispatcher), as the contract says.
    /// </summary>
    public static RunStatus StatusOf(ExecutionOutcome outcome) =>
        outcome.Succeeded ? RunStatus.Succeeded : outcome.ErrorKind == ErrorKinds.Timeout ? RunStatus.TimedOut : RunStatus.Failed;

    /// <summary>The output as stored: beyond <see cref="RunLimits.MaxOutputBytes"/>, a JSON string of its start, marked truncated.</summary>
    public static string? Truncate(string? output)
    {
        if (output is null || output.Length <= RunLimits.MaxOutputBytes / 4 || System.Text.Encoding.UTF8.GetByteCount(output) <= RunLimits.MaxOutputBytes)
            return output;
        var cut = output[..(RunLimits.MaxOutputBytes / 4)];
        return JsonSerializer.Serialize(cut + "…[truncated]");
    }
}
