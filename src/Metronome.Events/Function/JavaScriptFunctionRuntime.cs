using System.Collections.Concurrent;
using System.Text.Json;
using Acornima.Ast;
using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Runtime;
using Metronome.Core;
using Metronome.Core.Execution;
using Metronome.Core.Templates;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;
using JsonSerializer = Jint.Native.Json.JsonSerializer;

namespace Metronome.Events.Function;

/// <summary>
/// Language <c>javascript</c>: runs <c>handler(input, context)</c> in a Jint sandbox, a fresh engine per attempt.
/// </summary>
/// <remarks>
/// <para>Sandbox: CLR interop is never enabled (no <c>System</c>, <c>importNamespace</c>, <c>require</c>; Jint offers no
/// file or network access without it), string compilation (<c>eval</c>, <c>new Function</c>) is off, recursion is
/// limited to <see cref="MaxRecursionDepth"/> calls, memory to <c>memory_limit_mb</c> and time to <c>timeout_ms</c>
/// for the whole attempt (top-level code, the call and any returned promise). Jint checks memory between statements,
/// so one single huge allocation (<c>"x".repeat(1e9)</c>) can overshoot before it is stopped; steady growth cannot.</para>
/// <para><c>context</c> is <c>{product, idempotency_key, job: {tag, name}, run: {id, slot, attempt, scheduled_at}}</c>.
/// Secrets are deliberately not exposed: user code could return or log them into the recorded output, where they
/// would be stored in clear text. A returned promise is awaited. The return value is converted with
/// <c>JSON.stringify</c> semantics; <c>undefined</c> records no output.</para>
/// <para>Errors: a thrown value or rejected promise → <c>function_error</c>; memory or recursion limit →
/// <c>limit_exceeded</c>; <c>timeout_ms</c> → <c>timeout</c>; the attempt's token cancelled → the
/// <see cref="OperationCanceledException"/> propagates.</para>
/// </remarks>
internal sealed class JavaScriptFunctionRuntime : IFunctionRuntime
{
    public const int MaxRecursionDepth = 256;
    private const int ScriptCacheCapacity = 512;

    private readonly ConcurrentDictionary<string, Prepared<Script>> _scripts = new(StringComparer.Ordinal);

    public string Language => "javascript";

    public void Validate(JsonElement definition, ValidationErrors errors)
    {
        if (JavaScriptFunctionDefinition.Read(definition, errors) is not { } function) return;
        if (!TryPrepare(function.Code, out var script, out var parseError))
        {
            errors.Add(DefinitionReader.Field("code"), parseError);
            return;
        }
        // Inspecting the parse tree (rather than running top-level code) keeps validation free of user code.
        if (script.Program is not { } program || !DeclaresHandler(program))
            errors.Add(DefinitionReader.Field("code"), "The code must define a function named handler, e.g. function handler(input, context) { ... }.");
    }

    public Task<ExecutionOutcome> ExecuteAsync(JsonElement definition, ExecutionContext context, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (JavaScriptFunctionDefinition.Read(definition, errors) is not { } function)
            return Task.FromResult(ExecutionOutcome.Failure(ErrorKinds.Exception, "The definition is invalid: " + DefinitionReader.Describe(errors)));
        if (!TryPrepare(function.Code, out var script, out var parseError))
            return Task.FromResult(ExecutionOutcome.Failure(ErrorKinds.FunctionError, "The code does not parse: " + parseError));
        // Jint runs synchronously and measures memory per thread: one pool thread runs the whole attempt.
        return Task.Run(() => Run(script, function, context, ct), ct);
    }

    private static ExecutionOutcome Run(Prepared<Script> script, JavaScriptFunctionDefinition function, ExecutionContext context, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(function.Timeout);
        try
        {
            using var engine = new Engine(options =>
            {
                options.LimitMemory(function.MemoryLimitMb * 1024L * 1024L);
                options.LimitRecursion(MaxRecursionDepth);
                options.CancellationToken(deadline.Token);
                options.Host.StringCompilationAllowed = false;
                options.Constraints.PromiseTimeout = function.Timeout;
            });
            engine.Execute(script);
            var handler = engine.GetValue("handler");
            if (handler is not Jint.Native.Function.Function)
                return ExecutionOutcome.Failure(ErrorKinds.FunctionError, "The code does not define a function named handler.");

            var parser = new JsonParser(engine);
            var input = parser.Parse(context.Input.ValueKind == JsonValueKind.Undefined ? "{}" : context.Input.GetRawText());
            var result = engine.Invoke(handler, input, parser.Parse(ContextJson(context))).UnwrapIfPromise(deadline.Token);
            var json = new JsonSerializer(engine).Serialize(result);
            return ExecutionOutcome.Success(json.IsString() ? OutputLimiter.Limit(json.AsString()) : null);
        }
        catch (Exception e) when (ct.IsCancellationRequested)
        {
            if (e is OperationCanceledException) throw;
            throw new OperationCanceledException("The attempt was cancelled.", e, ct);
        }
        catch (Exception e) when (deadline.IsCancellationRequested
                                  && e is ExecutionCanceledException or OperationCanceledException or PromiseRejectedException or TimeoutException)
        {
            return ExecutionOutcome.Failure(ErrorKinds.Timeout, $"The function did not finish within {function.Timeout.TotalMilliseconds:0} ms (definition.timeout_ms).");
        }
        catch (MemoryLimitExceededException)
        {
            return ExecutionOutcome.Failure(ErrorKinds.LimitExceeded, $"The function used more than {function.MemoryLimitMb} MB (definition.memory_limit_mb).");
        }
        catch (RecursionDepthOverflowException)
        {
            return ExecutionOutcome.Failure(ErrorKinds.LimitExceeded, $"The function recursed deeper than {MaxRecursionDepth} calls.");
        }
        catch (StatementsCountOverflowException e)
        {
            return ExecutionOutcome.Failure(ErrorKinds.LimitExceeded, e.Message);
        }
        catch (JavaScriptException e)
        {
            var where = e.Location.Start.Line > 0 ? $" (line {e.Location.Start.Line}, column {e.Location.Start.Column})" : string.Empty;
            return ExecutionOutcome.Failure(ErrorKinds.FunctionError, e.Message + where);
        }
        catch (JintException e)
        {
            return ExecutionOutcome.Failure(ErrorKinds.FunctionError, e.Message);
        }
    }

    private static string ContextJson(ExecutionContext context)
    {
        var value = new
        {
            product = context.Product,
            idempotency_key = context.IdempotencyKey,
            job = new { tag = context.JobTag, name = context.JobName },
            run = new { id = context.RunId, slot = context.Slot, attempt = context.Attempt, scheduled_at = TemplateRenderer.FormatTimestamp(context.ScheduledAt) },
        };
        return System.Text.Json.JsonSerializer.Serialize(value);
    }

    private bool TryPrepare(string code, out Prepared<Script> script, out string error)
    {
        error = string.Empty;
        if (_scripts.TryGetValue(code, out script)) return true;
        try
        {
            script = Engine.PrepareScript(code);
        }
        catch (ScriptPreparationException e)
        {
            error = e.InnerException?.Message ?? e.Message;
            return false;
        }
        // Bounded: past capacity, scripts are simply prepared again for each attempt.
        if (_scripts.Count < ScriptCacheCapacity) _scripts.TryAdd(code, script);
        return true;
    }

    /// <summary>A top-level <c>function handler</c>, or <c>var/let/const handler = function | arrow</c>.</summary>
    private static bool DeclaresHandler(Script program)
    {
        foreach (var statement in program.Body)
        {
            switch (statement)
            {
                case FunctionDeclaration { Id.Name: "handler" }:
                    return true;
                case VariableDeclaration declaration:
                    foreach (var declarator in declaration.Declarations)
                    {
                        if (declarator is { Id: Identifier { Name: "handler" }, Init: FunctionExpression or ArrowFunctionExpression })
                            return true;
                    }
                    break;
            }
        }
        return false;
    }
}
