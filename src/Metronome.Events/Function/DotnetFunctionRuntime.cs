using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Execution;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Function;

/// <summary>
/// Language <c>dotnet</c>: definition <c>{"language": "dotnet", "handler": "&lt;tag&gt;"}</c> runs the
/// <see cref="DotnetFunctionRegistration"/> with that tag. The returned object is serialised with the web defaults
/// of System.Text.Json (camelCase), because it is the user's type, not a Metronome contract. When a tag is
/// registered twice, the last registration wins (as with other DI overrides).
/// </summary>
internal sealed class DotnetFunctionRuntime(IEnumerable<DotnetFunctionRegistration> registrations) : IFunctionRuntime
{
    private readonly Dictionary<string, DotnetFunctionHandler> _handlers = registrations
        .GroupBy(r => r.Tag, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Last().Handler, StringComparer.Ordinal);

    public string Language => "dotnet";

    public void Validate(JsonElement definition, ValidationErrors errors)
    {
        var tag = DefinitionReader.String(definition, "handler", errors, required: true);
        if (!string.IsNullOrWhiteSpace(tag) && !_handlers.ContainsKey(tag))
            errors.Add(DefinitionReader.Field("handler"), $"No .NET function is registered with the tag '{tag}'.");
    }

    public async Task<ExecutionOutcome> ExecuteAsync(JsonElement definition, ExecutionContext context, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        var tag = DefinitionReader.String(definition, "handler", errors, required: true);
        if (string.IsNullOrWhiteSpace(tag) || !_handlers.TryGetValue(tag, out var handler))
            return ExecutionOutcome.Failure(ErrorKinds.NotRegistered, $"No .NET function is registered with the tag '{tag}'.");

        var functionContext = new FunctionContext(context.Product, context.JobTag, context.RunId, context.Slot,
            context.Attempt, context.ScheduledAt, context.IdempotencyKey);
        object? result;
        try
        {
            result = await handler(context.Input, functionContext, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (ct.IsCancellationRequested)
        {
            if (e is OperationCanceledException) throw;
            throw new OperationCanceledException("The attempt was cancelled.", e, ct);
        }
        catch (Exception e)
        {
            // The user's own failure is the function's outcome, not an engine fault.
            return ExecutionOutcome.Failure(ErrorKinds.FunctionError, $"{e.GetType().Name}: {e.Message}");
        }
        try
        {
            return ExecutionOutcome.Success(OutputLimiter.Limit(JsonSerializer.Serialize(result, JsonSerializerOptions.Web)));
        }
        catch (Exception e) when (e is NotSupportedException or JsonException)
        {
            return ExecutionOutcome.Failure(ErrorKinds.FunctionError, $"The function's result could not be serialised to JSON: {e.Message}");
        }
    }
}
