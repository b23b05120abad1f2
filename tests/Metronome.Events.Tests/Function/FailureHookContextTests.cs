using System.Text.Json;
using Metronome.Core.Execution;
using Metronome.Events.Function;

namespace Metronome.Events.Tests.Function;

/// <summary>A JavaScript function run as an <c>on_failure</c> hook sees the failed run as <c>context.failed</c> (issue 14).</summary>
public sealed class FailureHookContextTests
{
    private const string Echo = "function handler(input, context) { return context.failed; }";

    [Fact]
    public async Task A_hook_function_sees_the_failed_run_and_an_ordinary_run_sees_null()
    {
        using var pool = new TestPool(new FunctionPoolOptions { Workers = 1 });

        var hook = await pool.RunAsync(Echo, timeoutMs: 10_000, failed: new FailedRunInfo("billing", 7, "timed_out", "too slow", "r-7"));
        var plain = await pool.RunAsync(Echo, timeoutMs: 10_000);

        Assert.True(hook.Succeeded, hook.ErrorMessage);
        using var output = JsonDocument.Parse(hook.OutputJson!);
        Assert.Equal(("billing", 7, "timed_out", "too slow", "r-7"), (output.RootElement.GetProperty("job_tag").GetString(),
            output.RootElement.GetProperty("slot").GetInt64(), output.RootElement.GetProperty("status").GetString(),
            output.RootElement.GetProperty("error").GetString(), output.RootElement.GetProperty("run_id").GetString()));
        Assert.True(plain.Succeeded, plain.ErrorMessage);
        Assert.Equal("null", plain.OutputJson);
    }
}
