using System.Diagnostics;
using System.Text.Json;
using Metronome.Core.Execution;

namespace Metronome.Events.Tests;

public sealed class JavaScriptFunctionTests
{
    // One executor (one worker pool) for the class: a worker process warms up once, not once per test.
    private static readonly IEventExecutor SharedExecutor = TestContexts.Executor("function");
    private readonly IEventExecutor _executor = SharedExecutor;

    private Task<ExecutionOutcome> Run(string code, string input = "{}", string limits = "", CancellationToken ct = default) =>
        _executor.ExecuteAsync(TestContexts.For("function", Definition(code, limits), input), ct);

    private static string Definition(string code, string limits = "") =>
        $$"""{"language": "javascript", "code": {{JsonSerializer.Serialize(code)}}{{limits}}}""";

    [Fact]
    public async Task Function_returns_its_value_as_json_output()
    {
        var outcome = await Run(
            "function handler(input, context) { return { total: input.a + input.b, items: input.list.length, slot: context.run.slot }; }",
            """{"a": 2, "b": 3, "list": [1, 2, 3]}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal("""{"total":5,"items":3,"slot":42}""", outcome.OutputJson);
    }

    [Fact]
    public async Task Function_sees_the_job_run_and_product_in_its_context()
    {
        var outcome = await Run("function handler(input, context) { return context; }");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        var context = TestContexts.Json(outcome.OutputJson);
        Assert.Equal("acme", context.GetProperty("product").GetString());
        Assert.Equal("nightly", context.GetProperty("job").GetProperty("tag").GetString());
        Assert.Equal("Nightly sync", context.GetProperty("job").GetProperty("name").GetString());
        var run = context.GetProperty("run");
        Assert.Equal("0197f3a2c1d47a3b9e1f2a3b4c5d6e7f", run.GetProperty("id").GetString());
        Assert.Equal(42, run.GetProperty("slot").GetInt64());
        Assert.Equal(2, run.GetProperty("attempt").GetInt32());
        Assert.Equal("2025-01-02T03:04:05Z", run.GetProperty("scheduled_at").GetString());
        Assert.False(context.TryGetProperty("secrets", out _));
    }

    [Fact]
    public async Task Function_returning_undefined_records_no_output()
    {
        var outcome = await Run("function handler() { }");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Null(outcome.OutputJson);
    }

    [Fact]
    public async Task Function_returning_a_promise_is_awaited()
    {
        var outcome = await Run("async function handler(input) { const v = await Promise.resolve(input.x); return v * 2; }", """{"x": 21}""");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal("42", outcome.OutputJson);
    }

    [Theory]
    [InlineData("function handler() { throw new Error('boom'); }")]
    [InlineData("async function handler() { throw new Error('boom'); }")]
    [InlineData("function handler() { throw 'boom'; }")]
    public async Task Function_that_throws_fails_with_function_error_and_its_message(string code)
    {
        var outcome = await Run(code);

        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorKinds.FunctionError, outcome.ErrorKind);
        Assert.Contains("boom", outcome.ErrorMessage);
    }

    [Fact]
    public async Task Infinite_loop_is_stopped_by_the_time_limit()
    {
        var watch = Stopwatch.StartNew();
        var outcome = await Run("function handler() { while (true) { } }", limits: """, "timeout_ms": 300""");

        Assert.Equal(ErrorKinds.Timeout, outcome.ErrorKind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), watch.Elapsed.ToString());
    }

    [Fact]
    public async Task Promise_that_never_settles_is_stopped_by_the_time_limit()
    {
        var watch = Stopwatch.StartNew();
        var outcome = await Run("function handler() { return new Promise(() => { }); }", limits: """, "timeout_ms": 300""");

        Assert.Equal(ErrorKinds.Timeout, outcome.ErrorKind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), watch.Elapsed.ToString());
    }

    [Fact]
    public async Task Endless_toJSON_of_the_result_is_stopped_by_the_time_limit()
    {
        var watch = Stopwatch.StartNew();
        var outcome = await Run("function handler() { return { toJSON() { while (true) { } } }; }", limits: """, "timeout_ms": 300""");

        Assert.Equal(ErrorKinds.Timeout, outcome.ErrorKind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), watch.Elapsed.ToString());
    }

    [Fact]
    public async Task Attempt_cancellation_propagates_out_of_a_running_function()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Run("function handler() { while (true) { } }", limits: """, "timeout_ms": 30000""", ct: cts.Token));
    }

    [Fact]
    public async Task Growing_allocation_fails_with_limit_exceeded()
    {
        var outcome = await Run(
            "function handler() { const a = []; while (true) { a.push('item-' + a.length); } }",
            limits: """, "memory_limit_mb": 8, "timeout_ms": 10000""");

        Assert.Equal(ErrorKinds.LimitExceeded, outcome.ErrorKind);
        Assert.Contains("8 MB", outcome.ErrorMessage);
    }

    [Fact]
    public async Task Deep_recursion_fails_with_limit_exceeded()
    {
        var outcome = await Run("function down(n) { return down(n + 1); } function handler() { return down(0); }");

        Assert.Equal(ErrorKinds.LimitExceeded, outcome.ErrorKind);
    }

    [Fact]
    public async Task Sandbox_offers_no_clr_or_host_access()
    {
        var outcome = await Run("""
            function handler() {
              return [typeof System, typeof importNamespace, typeof require, typeof fetch, typeof process, typeof XMLHttpRequest];
            }
            """);

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal("""["undefined","undefined","undefined","undefined","undefined","undefined"]""", outcome.OutputJson);
    }

    [Fact]
    public async Task Using_the_clr_from_a_function_fails()
    {
        var outcome = await Run("function handler() { return System.IO.File.ReadAllText('/etc/passwd'); }");

        Assert.Equal(ErrorKinds.FunctionError, outcome.ErrorKind);
    }

    [Fact]
    public async Task String_compilation_is_not_allowed()
    {
        var outcome = await Run("function handler() { return eval('1 + 1'); }");

        Assert.Equal(ErrorKinds.FunctionError, outcome.ErrorKind);
    }

    [Fact]
    public async Task Large_output_is_truncated_to_a_marked_string()
    {
        var outcome = await Run("function handler() { return 'x'.repeat(40000); }");

        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Contains("…[truncated: 40002 bytes]", TestContexts.Json(outcome.OutputJson).GetString());
    }

    [Theory]
    [InlineData("function handler(input) { return input; }")]
    [InlineData("const handler = (input, context) => input;")]
    [InlineData("let handler = async function (input) { return input; };")]
    [InlineData("async function handler(input) { return input; }")]
    public void Validation_accepts_code_that_defines_handler(string code) =>
        Assert.Empty(TestContexts.ValidationErrorsOf(_executor, Definition(code)));

    [Fact]
    public void Validation_reports_a_parse_error_on_code()
    {
        var errors = TestContexts.ValidationErrorsOf(_executor, Definition("function handler( {"));

        var message = Assert.Single(Assert.Single(errors, e => e.Key == "definition.code").Value);
        Assert.Contains("Unexpected", message);
    }

    [Fact]
    public void Validation_reports_code_without_a_handler()
    {
        var errors = TestContexts.ValidationErrorsOf(_executor, Definition("function main(input) { return input; }"));

        Assert.Contains("handler", Assert.Single(errors["definition.code"]));
    }

    [Theory]
    [InlineData("""{"language": "javascript"}""", "definition.code")]
    [InlineData("""{"language": "javascript", "code": "function handler() {}", "timeout_ms": 60001}""", "definition.timeout_ms")]
    [InlineData("""{"language": "javascript", "code": "function handler() {}", "memory_limit_mb": 513}""", "definition.memory_limit_mb")]
    [InlineData("""{"language": "python", "code": "def handler(): pass"}""", "definition.language")]
    [InlineData("""{"code": "function handler() {}"}""", "definition.language")]
    public void Validation_names_the_bad_field(string definition, string field) =>
        Assert.Equal([field], TestContexts.ValidationErrorsOf(_executor, definition).Keys);
}
