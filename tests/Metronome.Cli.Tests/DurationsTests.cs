namespace Metronome.Cli.Tests;

public sealed class DurationsTests
{
    [Theory]
    [InlineData("300ms", 300L)]
    [InlineData("60s", 60_000L)]
    [InlineData("5m", 300_000L)]
    [InlineData("2h", 7_200_000L)]
    [InlineData("1d", 86_400_000L)]
    [InlineData("1m30s", 90_000L)]
    [InlineData("1500", 1_500L)]
    [InlineData(" 5M ", 300_000L)]
    public void Friendly_durations_parse_to_milliseconds(string text, long expected) =>
        Assert.Equal(expected, Durations.TryParseMs(text));

    [Theory]
    [InlineData("")]
    [InlineData("5x")]
    [InlineData("ms")]
    [InlineData("-5s")]
    [InlineData("5s garbage")]
    [InlineData("1.5s")]
    [InlineData("99999999999999999999d")]
    public void Anything_else_is_not_a_duration(string text) => Assert.Null(Durations.TryParseMs(text));

    [Theory]
    [InlineData(300L, "300ms")]
    [InlineData(60_000L, "1m")]
    [InlineData(90_500L, "1m30s500ms")]
    [InlineData(0L, "0ms")]
    public void Durations_format_back_friendly(long ms, string expected) => Assert.Equal(expected, Durations.Format(ms));
}
