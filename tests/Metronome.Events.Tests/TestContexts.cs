using System.Text.Json;
using Metronome.Core.Events;
using Metronome.Core.Execution;
using Metronome.Events;
using Microsoft.Extensions.DependencyInjection;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Tests;

/// <summary>Builds executors through <c>AddMetronomeEvents</c> and attempt contexts for them.</summary>
internal static class TestContexts
{
    public static readonly DateTimeOffset ScheduledAt = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public static IEventExecutor Executor(string type, params DotnetFunctionRegistration[] functions)
    {
        var services = new ServiceCollection().AddMetronomeEvents();
        foreach (var function in functions) services.AddSingleton(function);
        return services.BuildServiceProvider().GetServices<IEventExecutor>().Single(e => e.EventType == type);
    }

    public static ExecutionContext For(string type, string definitionJson, string inputJson = "{}",
        IReadOnlyDictionary<string, string>? secrets = null) => new()
    {
        Product = "acme",
        JobTag = "nightly",
        JobName = "Nightly sync",
        RunId = "0197f3a2c1d47a3b9e1f2a3b4c5d6e7f",
        Slot = 42,
        Attempt = 2,
        ScheduledAt = ScheduledAt,
        IdempotencyKey = "acme/nightly/42",
        Event = new EventRecord { Product = "acme", Type = type, Tag = "e1", Name = "Event", DefinitionJson = definitionJson },
        Input = JsonDocument.Parse(inputJson).RootElement.Clone(),
        Secrets = secrets ?? new Dictionary<string, string> { ["TOKEN"] = "s3cret" },
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static Dictionary<string, string[]> ValidationErrorsOf(IEventExecutor executor, string definitionJson)
    {
        var errors = new Core.ValidationErrors();
        executor.Validate(JsonDocument.Parse(definitionJson).RootElement, errors);
        try
        {
            errors.ThrowIfAny();
            return [];
        }
        catch (Core.ValidationFailedException e)
        {
            return e.Errors.ToDictionary(kv => kv.Key, kv => kv.Value);
        }
    }

    public static JsonElement Json(string? json)
    {
        Assert.NotNull(json);
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
