using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Execution;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Function;

/// <summary>
/// Executes a <c>function</c> event by its <c>language</c>. Function definitions are not template-rendered:
/// the job input and run details reach the function as arguments instead.
/// </summary>
internal sealed class FunctionExecutor : IEventExecutor
{
    private readonly Dictionary<string, IFunctionRuntime> _runtimes;

    public FunctionExecutor(IEnumerable<IFunctionRuntime> runtimes) =>
        _runtimes = runtimes.ToDictionary(r => r.Language, StringComparer.Ordinal);

    public string EventType => "function";

    public void Validate(JsonElement definition, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!DefinitionReader.IsObject(definition, errors)) return;
        if (Runtime(definition, errors) is { } runtime) runtime.Validate(definition, errors);
    }

    public async Task<ExecutionOutcome> ExecuteAsync(ExecutionContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var document = JsonDocument.Parse(context.Event.DefinitionJson);
        var errors = new ValidationErrors();
        if (!DefinitionReader.IsObject(document.RootElement, errors) || Runtime(document.RootElement, errors) is not { } runtime)
            return ExecutionOutcome.Failure(ErrorKinds.Exception, "The definition is invalid: " + DefinitionReader.Describe(errors));
        return await runtime.ExecuteAsync(document.RootElement, context, ct).ConfigureAwait(false);
    }

    private IFunctionRuntime? Runtime(JsonElement definition, ValidationErrors errors)
    {
        var language = DefinitionReader.String(definition, "language", errors, required: true);
        if (language is null) return null;
        if (_runtimes.TryGetValue(language, out var runtime)) return runtime;
        errors.Add(DefinitionReader.Field("language"), "Must be one of: " + string.Join(", ", _runtimes.Keys.Order()) + ".");
        return null;
    }
}
