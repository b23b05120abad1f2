namespace Metronome.Dashboard.Tests;

/// <summary>The page's human forms of durations and instants, run in the browser from the served module itself.</summary>
[Collection(DashboardCollection.Name)]
public sealed class FormatScenarios(DashboardServer server)
{
    [Theory]
    [InlineData(60_000, "1 min")]
    [InlineData(90_000, "1 min 30 s")]
    [InlineData(100, "100 ms")]
    [InlineData(1_500, "1 s 500 ms")]
    [InlineData(3_600_000, "1 h")]
    [InlineData(86_401_000, "1 d 1 s")]
    [InlineData(0, "0 ms")]
    public async Task Durations_read_as_people_say_them(long ms, string expected)
    {
        await using var browser = await server.NewPageAsync();
        await browser.Page.GotoAsync("/");
        var text = await browser.Page.EvaluateAsync<string>("async (ms) => (await import('/dashboard/format.js')).duration(ms)", ms);
        Assert.Equal(expected, text);
    }

    [Theory]
    [InlineData(3_200, "in 3 s")]
    [InlineData(-120_500, "2 min ago")]
    [InlineData(5_400_000, "in 1 h")]
    [InlineData(400, "now")]
    public async Task Instants_read_relative_to_now(long offsetMs, string expected)
    {
        await using var browser = await server.NewPageAsync();
        await browser.Page.GotoAsync("/");
        var text = await browser.Page.EvaluateAsync<string>("""
            async (offset) => {
              const now = Date.parse("2026-12-04T10:00:00Z");
              return (await import('/dashboard/format.js')).relative(new Date(now + offset).toISOString(), now);
            }
            """, offsetMs);
        Assert.Equal(expected, text);
    }
}
