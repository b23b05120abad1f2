using System.Text.Json;
using Metronome.Core.Execution;

namespace Metronome.Events.Tests.Function;

/// <summary>Validation parses tenant code inside the server: hostile nesting must be an error, never a stack overflow.</summary>
public sealed class JavaScriptValidationTests
{
    private const int Depth = 100_000;
    private readonly IEventExecutor _executor = TestContexts.Executor("function");

    public static TheoryData<string> Shapes => new()
    {
        "paren", "bracket", "object", "function", "block", "unary", "negation", "assignment", "ternary", "power", "arrow",
        "template", "new", "if", "call", "member", "destructuring", "class", "await", "mixed",
    };

    private static string R(string s, int n) => string.Concat(Enumerable.Repeat(s, n));

    private static string Nested(string shape, int n) => shape switch
    {
        "paren" => "function handler(){ return " + R("(", n) + "1" + R(")", n) + "; }",
        "bracket" => "function handler(){ return " + R("[", n) + R("]", n) + "; }",
        "object" => "function handler(){ return " + R("{a:", n) + "1" + R("}", n) + "; }",
        "function" => R("function f(){", n) + R("}", n) + " function handler(){}",
        "block" => "function handler(){ " + R("{", n) + R("}", n) + " }",
        "unary" => "function handler(){ return " + R("!", n) + "1; }",
        "negation" => "function handler(){ return " + R("- ", n) + "1; }",
        "assignment" => "var a; function handler(){ return " + R("a=", n) + "1; }",
        "ternary" => "var a; function handler(){ return " + R("a?1:", n) + "1; }",
        "power" => "function handler(){ return " + R("2**", n) + "1; }",
        "arrow" => "var handler = " + R("()=>", n) + "1;",
        "template" => "function handler(){ return " + R("`${", n) + "1" + R("}`", n) + "; }",
        "new" => "function handler(){ return " + R("new ", n) + "Object; }",
        "if" => "function handler(){ " + R("if(1)", n) + ";}",
        "call" => "var f; function handler(){ return " + R("f(", n) + R(")", n) + "; }",
        "member" => "var a = {}; function handler(){ return a" + R("[a", n) + R("]", n) + "; }",
        "destructuring" => "function handler(){ var " + R("[", n) + "a" + R("]", n) + " = 1; }",
        "class" => R("class A extends (", n) + "Object" + R(") {}", n) + " function handler(){}",
        "await" => "async function handler(){ return " + R("await ", n) + "1; }",
        "mixed" => "function handler(){ return " + R("[{a:(!", n / 4) + "1" + R(")}]", n / 4) + "; }",
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Deeply_nested_code_is_a_validation_error_not_a_stack_overflow(string shape)
    {
        var definition = $$"""{"language": "javascript", "code": {{JsonSerializer.Serialize(Nested(shape, Depth))}}}""";

        var errors = TestContexts.ValidationErrorsOf(_executor, definition);

        Assert.Contains("definition.code", errors.Keys);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Moderately_nested_code_is_accepted(string shape)
    {
        var definition = $$"""{"language": "javascript", "code": {{JsonSerializer.Serialize(Nested(shape, 20))}}}""";

        Assert.Empty(TestContexts.ValidationErrorsOf(_executor, definition));
    }

    [Fact]
    public void Too_deep_nesting_is_reported_as_such()
    {
        var definition = $$"""{"language": "javascript", "code": {{JsonSerializer.Serialize(Nested("paren", Depth))}}}""";

        Assert.Contains("nests too deeply", Assert.Single(TestContexts.ValidationErrorsOf(_executor, definition)["definition.code"]));
    }

    [Fact]
    public async Task Random_nesting_fuzz_never_ends_the_process()
    {
        // Any mix of openers, at random depths, on pool threads (1.5 MB stacks): each parse ends in a value.
        var random = new Random(20261203);
        string[] openers = ["(", "[", "{a:", "!", "-", "`${", "f(", "new ", "a=", "a?1:"];
        string[] closers = [")", "]", "}", "", "", "}`", ")", "", "", ""];
        var codes = Enumerable.Range(0, 40).Select(_ =>
        {
            var depth = random.Next(1_000, 60_000);
            var picks = Enumerable.Range(0, depth).Select(_ => random.Next(openers.Length)).ToArray();
            var body = string.Concat(picks.Select(p => openers[p])) + "1" + string.Concat(picks.Reverse().Select(p => closers[p]));
            return "var a, f; function handler(){ return " + body + "; }";
        }).ToList();

        await Parallel.ForEachAsync(codes, async (code, _) =>
        {
            await Task.Yield();
            TestContexts.ValidationErrorsOf(_executor, $$"""{"language": "javascript", "code": {{JsonSerializer.Serialize(code)}}}""");
        });
    }
}
