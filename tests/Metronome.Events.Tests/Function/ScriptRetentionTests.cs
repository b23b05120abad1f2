using System.Text;
using System.Text.Json;
using Metronome.Core.Execution;

namespace Metronome.Events.Tests.Function;

/// <summary>The server parses tenant code to validate it and keeps nothing of it (the old cache held every script).</summary>
public sealed class ScriptRetentionTests
{
    [Fact]
    public void Validating_large_scripts_keeps_none_of_them_in_memory()
    {
        var executor = TestContexts.Executor("function");
        var definitions = Enumerable.Range(0, 30).Select(i => JsonDocument.Parse(
            $$"""{"language": "javascript", "code": {{JsonSerializer.Serialize(LargeScript(i, 450 * 1024))}}}""")).ToList();
        var before = GC.GetTotalMemory(forceFullCollection: true);

        foreach (var definition in definitions)
        {
            var errors = new Core.ValidationErrors();
            executor.Validate(definition.RootElement, errors);
            errors.ThrowIfAny();
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);

        // 30 prepared trees of 450 KB sources take well over 100 MB; other tests of this process run alongside.
        Assert.True(after - before < 40L * 1024 * 1024, $"{(after - before) / 1024 / 1024} MB kept");
        GC.KeepAlive(definitions);
    }

    private static string LargeScript(int seed, int size)
    {
        var code = new StringBuilder($"function handler(){{ return data.length + {seed}; }}\nvar data = [");
        for (var n = 0; code.Length < size - 10; n++) code.Append(n).Append(',');
        return code.Append("0];").ToString();
    }
}
