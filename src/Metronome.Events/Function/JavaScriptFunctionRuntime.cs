using System.Text.Json;
using Acornima.Ast;
using Jint;
using Metronome.Core;
using Metronome.Core.Execution;
using Metronome.Core.Runs;
using Metronome.Core.Templates;
using Metronome.FunctionHost;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Function;

/// <summary>
/// Language <c>javascript</c>: runs <c>handler(input, context)</c> in a Jint sandbox inside a worker process of the
/// <see cref="FunctionWorkerPool"/>, a fresh engine per attempt (<c>docs/security/functions.md</c>).
/// </summary>
/// <remarks>
/// <para>Sandbox: CLR interop is never enabled (no <c>System</c>, <c>importNamespace</c>, <c>require</c>; Jint offers no
/// file or network access without it), string compilation (<c>eval</c>, <c>new Function</c>) is off, recursion is
/// limited to 256 calls and the native stack is guarded, memory <em>held</em> is limited to <c>memory_limit_mb</c>
/// and time to <c>timeout_ms</c> for the whole attempt (top-level code, the call, any returned promise, regular
/// expressions). Whatever the code does, it does it in another process: the server's stack, heap and threads are not
/// reachable from it.</para>
/// <para><c>context</c> is <c>{product, idempotency_key, job: {tag, name}, run: {id, slot, attempt, scheduled_at}}</c>.
/// Secrets are deliberately not exposed: user code could return or log them into the recorded output, where they
/// would be stored in clear text. A returned promise is awaited. The return value is converted with
/// <c>JSON.stringify</c> semantics; <c>undefined</c> records no output.</para>
/// <para>Errors: a thrown value or rejected promise → <c>function_error</c>; memory, stack or recursion limit, or a
/// full product queue → <c>limit_exceeded</c>; <c>timeout_ms</c> → <c>timeout</c>; the worker process died →
/// <c>crashed</c>; the attempt's token cancelled → the <see cref="OperationCanceledException"/> propagates.</para>
/// </remarks>
internal sealed class JavaScriptFunctionRuntime(FunctionWorkerPool pool) : IFunctionRuntime
{
    public string Language => "javascript";

    public void Validate(JsonElement definition, ValidationErrors errors)
    {
        if (JavaScriptFunctionDefinition.Read(definition, errors) is not { } function) return;
        // Parsed here and dropped: the server keeps no prepared scripts (workers cache their own, bounded).
        // Acornima and Jint probe the stack while parsing, so deeply nested code is an error here, not an overflow.
        Prepared<Script> script;
        try
        {
            script = Engine.PrepareScript(function.Code);
        }
        catch (ScriptPreparationException e)
        {
            errors.Add(DefinitionReader.Field("code"), e.InnerException is InsufficientExecutionStackException
                ? "The code nests too deeply to be parsed."
                : e.InnerException?.Message ?? e.Message);
            return;
        }
        // Inspecting the parse tree (rather than running top-level code) keeps validation free of user code.
        if (script.Program is not { } program || !DeclaresHandler(program))
            errors.Add(DefinitionReader.Field("code"), "The code must define a function named handler, e.g. function handler(input, context) { ... }.");
    }

    public async Task<ExecutionOutcome> ExecuteAsync(JsonElement definition, ExecutionContext context, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (JavaScriptFunctionDefinition.Read(definition, errors) is not { } function)
            return ExecutionOutcome.Failure(ErrorKinds.Exception, "The definition is invalid: " + DefinitionReader.Describe(errors));
        var request = new WorkerRequest
        {
            Code = function.Code,
            Input = context.Input.ValueKind == JsonValueKind.Undefined ? "{}" : context.Input.GetRawText(),
            Context = ContextJson(context),
            TimeoutMs = (int)function.Timeout.TotalMilliseconds,
            MemoryLimitMb = function.MemoryLimitMb,
            MaxOutputBytes = RunLimits.MaxOutputBytes,
        };
        var answer = await pool.RunAsync(context.Product, request, ct).ConfigureAwait(false);
        if (answer is null)
            return ExecutionOutcome.Failure(ErrorKinds.LimitExceeded,
                $"Too many function attempts of product '{context.Product}' are waiting for a worker; this one was not started.");
        if (answer.Outcome is { } decided) return decided;
        var response = answer.Response!;
        if (response.Succeeded)
        {
            var output = response.OutputBytes is { } bytes && response.Output is { } prefix
                ? JsonSerializer.Serialize(OutputLimiter.TruncateText(prefix, bytes, RunLimits.MaxOutputBytes))
                : OutputLimiter.Limit(response.Output);
            return ExecutionOutcome.Success(output);
        }
        return ExecutionOutcome.Failure(KnownKind(response.ErrorKind), response.ErrorMessage ?? "The function failed.");
    }

    /// <summary>Kinds a worker may answer with; anything else is a worker fault.</summary>
    private static string KnownKind(string? kind) => kind switch
    {
        ErrorKinds.Timeout or ErrorKinds.FunctionError or ErrorKinds.LimitExceeded => kind,
        _ => ErrorKinds.Exception,
    };

    private static string ContextJson(ExecutionContext context)
    {
        var value = new
        {
            product = context.Product,
            idempotency_key = context.IdempotencyKey,
            job = new { tag = context.JobTag, name = context.JobName },
            run = new { id = context.RunId, slot = context.Slot, attempt = context.Attempt, scheduled_at = TemplateRenderer.FormatTimestamp(context.ScheduledAt) },
            // An on_failure hook's function also learns the failed run (issue 14); absent otherwise.
            failed = context.Failed is { } f ? new { job_tag = f.JobTag, slot = f.Slot, status = f.Status, error = f.Error, run_id = f.RunId } : null,
        };
        return JsonSerializer.Serialize(value);
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
