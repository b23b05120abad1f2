using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Execution;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Function;

/// <summary>One <c>language</c> of the <c>function</c> event; <see cref="FunctionExecutor"/> dispatches to it.</summary>
internal interface IFunctionRuntime
{
    /// <summary>The <c>language</c> value handled (<c>javascript</c>, <c>dotnet</c>).</summary>
    string Language { get; }

    /// <summary>Checks the definition (already known to be an object with this language).</summary>
    void Validate(JsonElement definition, ValidationErrors errors);

    Task<ExecutionOutcome> ExecuteAsync(JsonElement definition, ExecutionContext context, CancellationToken ct);
}
