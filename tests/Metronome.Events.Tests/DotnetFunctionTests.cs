using System.Text.Json;
using Metronome.Core.Execution;

namespace Metronome.Events.Tests;

public sealed class DotnetFunctionTests
{
    private static readonly DotnetFunctionRegistration Sum = new("sum", (input, context, _) =>
        Task.FromResult<object?>(new { Total = input.GetProperty("a").GetInt32() + input.GetProperty("b").GetInt32(), context.Slot, context.IdempotencyKey }));

    private static readonly DotnetFunctionRegistration Fails = new("fails", (_, _, _) =>
        throw new InvalidOperationException("nope"));

    private readonly IEventExecutor _executor = TestContexts.Executor("function", Sum, Fails);

    [Fact]
    public async Task Registered_handler_runs_and_its_result_is_recorded_as_json()
    {
        var outcome = await _executor.ExecuteAsync(
            TestContexts.For("function", """{"language": "dotnet", "handler": "sum"}""", """{"a": 2, "b": 5}"""), CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal("""{"total":7,"slot":42,"idempotencyKey":"acme/nightly/42"}""", outcome.OutputJson);
    }

    [Fact]
    public async Task Handler_that_throws_fails_with_function_error()
    {
        var outcome = await _executor.ExecuteAsync(
            TestContexts.For("function", """{"language": "dotnet", "handler": "fails"}"""), CancellationToken.None);

        Assert.Equal(ErrorKinds.FunctionError, outcome.ErrorKind);
        Assert.Contains("nope", outcome.ErrorMessage);
    }

    [Fact]
    public async Task Unknown_tag_at_execution_fails_with_not_registered()
    {
        var outcome = await _executor.ExecuteAsync(
            TestContexts.For("function", """{"language": "dotnet", "handler": "gone"}"""), CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.NotRegistered, outcome.ErrorKind);
    }

    [Theory]
    [InlineData("""{"language": "dotnet"}""")]
    [InlineData("""{"language": "dotnet", "handler": "gone"}""")]
    public void Validation_requires_a_registered_handler(string definition) =>
        Assert.Equal(["definition.handler"], TestContexts.ValidationErrorsOf(_executor, definition).Keys);

    [Fact]
    public void Validation_accepts_a_registered_handler() =>
        Assert.Empty(TestContexts.ValidationErrorsOf(_executor, """{"language": "dotnet", "handler": "sum"}"""));
}
