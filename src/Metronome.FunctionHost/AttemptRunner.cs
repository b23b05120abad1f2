using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Acornima.Ast;
using Jint;
using Jint.Native.Json;
using Jint.Runtime;

namespace Metronome.FunctionHost;

/// <summary>
/// Runs one attempt: <c>handler(input, context)</c> in a fresh Jint engine on its own thread, watched by the calling
/// thread for the attempt's deadline and for the memory it <em>holds</em>.
/// </summary>
/// <remarks>
/// Held memory is the managed heap above the level measured just before the attempt (after a cheap gen-0 collection).
/// When a 10 ms sample passes <c>memory_limit_mb</c>, a full collection decides: garbage is not held, so a loop
/// creating temporaries never trips the limit, while a growing structure does. One single huge allocation is caught
/// by the worker's hard heap limit (<c>DOTNET_GCHeapHardLimit</c>, set by the parent) as an
/// <see cref="OutOfMemoryException"/>. An engine that does not stop within <see cref="StopGrace"/> of being cancelled
/// is abandoned: the answer is sent and the worker exits.
/// </remarks>
internal sealed class AttemptRunner(ScriptCache cache)
{
    public const int MaxRecursionDepth = 256;
    public static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(10);
    public static readonly TimeSpan StopGrace = TimeSpan.FromMilliseconds(200);
    private const int EngineStackBytes = 16 * 1024 * 1024;

    private enum StopReason { None, Timeout, Memory }

    public WorkerResponse Run(WorkerRequest request)
    {
        var timeout = TimeSpan.FromMilliseconds(request.TimeoutMs);
        var limitBytes = request.MemoryLimitMb * 1024L * 1024L;
        using var stop = new CancellationTokenSource();
        var reason = StopReason.None;
        long baseline = -1;
        WorkerResponse? answer = null;
        var watch = Stopwatch.StartNew();

        var thread = new Thread(() =>
        {
            answer = Execute(request, timeout, watch, stop.Token, () => Volatile.Write(ref baseline, Baseline()), () => reason);
        }, EngineStackBytes) { IsBackground = true, Name = "function attempt" };
        thread.Start();

        var stoppedAt = TimeSpan.Zero;
        while (!thread.Join(WatchInterval))
        {
            if (reason == StopReason.None)
            {
                var start = Volatile.Read(ref baseline);
                if (watch.Elapsed >= timeout) reason = StopReason.Timeout;
                else if (start >= 0 && HeldBytes(start, limitBytes) > limitBytes) reason = StopReason.Memory;
                if (reason == StopReason.None) continue;
                stoppedAt = watch.Elapsed;
                stop.Cancel();
            }
            else if (watch.Elapsed - stoppedAt > StopGrace)
            {
                // The engine is inside a built-in that does not check for cancellation: give up on this process.
                return (reason == StopReason.Timeout ? TimedOut(request) : OverMemory(request)) with { Exiting = true };
            }
        }
        return answer ?? Failure(WorkerErrorKinds.Exception, "The function's engine stopped without an answer.", exiting: true);
    }

    private static long Baseline()
    {
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    /// <summary>Bytes held above <paramref name="baseline"/>; collects only when the cheap sample is over the limit.</summary>
    private static long HeldBytes(long baseline, long limitBytes)
    {
        var held = GC.GetTotalMemory(forceFullCollection: false) - baseline;
        if (held <= limitBytes) return held;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false) - baseline;
    }

    private WorkerResponse Execute(WorkerRequest request, TimeSpan timeout, Stopwatch watch, CancellationToken token,
        Action prepared, Func<StopReason> reason)
    {
        try
        {
            Prepared<Script> script;
            try
            {
                script = cache.Get(request.Code);
            }
            catch (ScriptPreparationException e)
            {
                return Failure(WorkerErrorKinds.FunctionError, "The code does not parse: " + (e.InnerException?.Message ?? e.Message));
            }
            prepared();
            // Regular expressions get what is left of the attempt's time, never more.
            var remaining = timeout - watch.Elapsed;
            if (remaining <= TimeSpan.Zero) return TimedOut(request);
            using var engine = new Engine(options =>
            {
                options.LimitRecursion(MaxRecursionDepth);
                options.CancellationToken(token);
                options.Host.StringCompilationAllowed = false;
                options.Constraints.PromiseTimeout = remaining;
                options.Constraints.RegexTimeout = remaining;
                options.Constraints.StackOverflowGuard = true;
            });
            engine.Execute(script);
            var handler = engine.GetValue("handler");
            if (handler is not Jint.Native.Function.Function)
                return Failure(WorkerErrorKinds.FunctionError, "The code does not define a function named handler.");

            var parser = new JsonParser(engine);
            var result = engine.Invoke(handler, parser.Parse(request.Input), parser.Parse(request.Context)).UnwrapIfPromise(token);
            var json = new JsonSerializer(engine).Serialize(result);
            return Output(json.IsString() ? json.AsString() : null, request.MaxOutputBytes);
        }
        catch (Exception) when (reason() == StopReason.Memory)
        {
            return OverMemory(request);
        }
        catch (Exception e) when (reason() == StopReason.Timeout
                                  && e is ExecutionCanceledException or OperationCanceledException or PromiseRejectedException or TimeoutException)
        {
            return TimedOut(request);
        }
        catch (Exception e) when (IsRegexTimeout(e))
        {
            return Failure(WorkerErrorKinds.Timeout,
                $"A regular expression ran out of the function's time: it did not finish within {request.TimeoutMs} ms (definition.timeout_ms).");
        }
        catch (OutOfMemoryException)
        {
            // The hard heap limit of the worker: the heap may be in any state, so this worker retires.
            return Failure(WorkerErrorKinds.LimitExceeded,
                $"The function tried to allocate more memory than a function worker allows (definition.memory_limit_mb is {request.MemoryLimitMb} MB).",
                exiting: true);
        }
        catch (InsufficientExecutionStackException)
        {
            return Failure(WorkerErrorKinds.LimitExceeded, "The function nested too deeply (stack limit).");
        }
        catch (RecursionDepthOverflowException)
        {
            return Failure(WorkerErrorKinds.LimitExceeded, $"The function recursed deeper than {MaxRecursionDepth} calls.");
        }
        catch (StatementsCountOverflowException e)
        {
            return Failure(WorkerErrorKinds.LimitExceeded, e.Message);
        }
        catch (JavaScriptException e) when (e.Message.Contains("Maximum call stack size exceeded", StringComparison.Ordinal))
        {
            return Failure(WorkerErrorKinds.LimitExceeded, "The function nested too deeply: maximum call stack size exceeded.");
        }
        catch (JavaScriptException e)
        {
            var where = e.Location.Start.Line > 0 ? $" (line {e.Location.Start.Line}, column {e.Location.Start.Column})" : string.Empty;
            return Failure(WorkerErrorKinds.FunctionError, e.Message + where);
        }
        catch (JintException e)
        {
            return Failure(WorkerErrorKinds.FunctionError, e.Message);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or NotSupportedException or IndexOutOfRangeException)
        {
            // Faults of the engine's built-ins on odd input: the function's outcome, not the worker's.
            return Failure(WorkerErrorKinds.FunctionError, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static bool IsRegexTimeout(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is RegexMatchTimeoutException) return true;
        return false;
    }

    private static WorkerResponse Output(string? json, int maxBytes)
    {
        if (json is null) return new WorkerResponse { Succeeded = true };
        // Only a prefix crosses the pipe: the server cuts outputs to maxBytes anyway.
        if (json.Length <= maxBytes / 4 || Encoding.UTF8.GetByteCount(json) <= maxBytes) return new WorkerResponse { Succeeded = true, Output = json };
        return new WorkerResponse { Succeeded = true, Output = json[..Math.Min(json.Length, maxBytes)], OutputBytes = Encoding.UTF8.GetByteCount(json) };
    }

    private static WorkerResponse TimedOut(WorkerRequest request) =>
        Failure(WorkerErrorKinds.Timeout, $"The function did not finish within {request.TimeoutMs} ms (definition.timeout_ms).");

    private static WorkerResponse OverMemory(WorkerRequest request) =>
        Failure(WorkerErrorKinds.LimitExceeded, $"The function held more than {request.MemoryLimitMb} MB (definition.memory_limit_mb).");

    /// <summary>Messages are the function's own text (a thrown string may be huge): only their start crosses the pipe.</summary>
    private const int MaxMessageChars = 4000;

    private static WorkerResponse Failure(string kind, string message, bool exiting = false) =>
        new()
        {
            Succeeded = false, ErrorKind = kind, Exiting = exiting,
            ErrorMessage = message.Length <= MaxMessageChars ? message : string.Concat(message.AsSpan(0, MaxMessageChars), "…[truncated]"),
        };
}

/// <summary>The error kinds a worker answers with (the same strings as Metronome.Core's <c>ErrorKinds</c>).</summary>
internal static class WorkerErrorKinds
{
    public const string Timeout = "timeout";
    public const string FunctionError = "function_error";
    public const string LimitExceeded = "limit_exceeded";
    public const string Exception = "exception";
}
