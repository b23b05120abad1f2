using System.Text;
using System.Text.Json;
using Metronome.Core.Runs;

namespace Metronome.Events.Tests;

public sealed class OutputLimiterTests
{
    [Fact]
    public void Output_within_the_limit_is_unchanged()
    {
        const string json = """{"a":1}""";
        Assert.Same(json, OutputLimiter.Limit(json));
    }

    [Theory]
    [InlineData("x")]
    [InlineData("\"")]
    [InlineData("\u0001")]
    [InlineData("é")]
    [InlineData("😀")]
    public void Output_over_the_limit_becomes_a_marked_json_string_within_the_limit(string unit)
    {
        var json = JsonSerializer.Serialize(new { text = string.Concat(Enumerable.Repeat(unit, 20_000)) });

        var limited = OutputLimiter.Limit(json)!;

        Assert.True(Encoding.UTF8.GetByteCount(limited) <= RunLimits.MaxOutputBytes);
        var text = JsonDocument.Parse(limited).RootElement.GetString()!;
        Assert.StartsWith("{\"text\":", text);
        Assert.EndsWith($"…[truncated: {Encoding.UTF8.GetByteCount(json)} bytes]", text);
    }
}
