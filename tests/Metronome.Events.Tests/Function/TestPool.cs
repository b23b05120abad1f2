using System.Text.Json;
using Metronome.Core.Execution;
using Metronome.Events.Function;
using Microsoft.Extensions.Options;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Tests.Function;

/// <summary>A pool of real worker processes with the given options, and the JavaScript runtime over it.</summary>
internal sealed class TestPool : IDisposable
{
    public TestPool(FunctionPoolOptions options)
    {
        Pool = new FunctionWorkerPool(Options.Create(options));
        Runtime = new JavaScriptFunctionRuntime(Pool);
    }

    public FunctionWorkerPool Pool { get; }
    public JavaScriptFunctionRuntime Runtime { get; }

    public Task<ExecutionOutcome> RunAsync(string code, string product = "acme", int timeoutMs = 1000, int memoryMb = 32,
        string input = "{}", CancellationToken ct = default, FailedRunInfo? failed = null)
    {
        var definition = JsonDocument.Parse(
            $$"""{"language": "javascript", "code": {{JsonSerializer.Serialize(code)}}, "timeout_ms": {{timeoutMs}}, "memory_limit_mb": {{memoryMb}}}""");
        ExecutionContext context = TestContexts.For("function", definition.RootElement.GetRawText(), input) with { Product = product, Failed = failed };
        return Runtime.ExecuteAsync(definition.RootElement, context, ct);
    }

    /// <summary>Waits until <paramref name="condition"/> holds (polling state the pool exposes), failing after 30 s.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Still waiting for: " + what);
            await Task.Delay(10);
        }
    }

    public void Dispose() => Pool.Dispose();
}
