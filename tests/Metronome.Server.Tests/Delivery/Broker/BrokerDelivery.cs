using System.Text.Json;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests.Delivery.Broker;

/// <summary>
/// Drives a <c>messagebroker</c> job through the REST API of a real server: a product, the broker's connection string
/// in the secret <c>BROKER</c>, an event whose message and headers are templated, and a job starting now.
/// </summary>
internal static class BrokerDelivery
{
    public const string Who = "Ada";

    /// <summary>The templated message every test sends; rendered as <see cref="ExpectedMessage"/>.</summary>
    public static readonly object Message = new Dictionary<string, object> { ["slot"] = "{{run.slot}}", ["job"] = "{{job.tag}}", ["who"] = "{{input.who}}" };

    /// <summary>The templated headers every test sends; rendered as <see cref="ExpectedHeaders"/>.</summary>
    public static readonly Dictionary<string, string> Headers = new() { ["x-source"] = "metronome", ["x-job"] = "{{job.tag}}" };

    public static string ExpectedMessage(string job, long slot) => $$"""{"slot":{{slot}},"job":"{{job}}","who":"{{Who}}"}""";

    public static Dictionary<string, string> ExpectedHeaders(string job) => new() { ["x-source"] = "metronome", ["x-job"] = job };

    /// <summary>Creates a product with the secret and a <c>messagebroker</c> event; returns the product tag and event tag.</summary>
    public static async Task<(string Product, string Event)> CreateEventAsync(TestServer server, string connection, Dictionary<string, object?> definition)
    {
        var product = (await server.CreateProductAsync()).Tag!;
        await (await server.Admin.PutAsync(Routes.Secret(product, "BROKER"), TestApi.Json(new SecretValue { Value = connection }))).ExpectAsync(204);
        definition["connection"] = "{{secrets.BROKER}}";
        var ev = new ProductEvent { Type = "messagebroker", Tag = TestApi.Unique("ev"), Name = "Broker event", Definition = JsonSerializer.SerializeToElement(definition) };
        await (await server.Admin.PostAsync(Routes.Events(product), TestApi.Json(ev))).ExpectAsync(201);
        return (product, ev.Tag!);
    }

    /// <summary>Creates a job of <paramref name="executions"/> executions, 200 ms apart, starting now; returns its tag.</summary>
    public static async Task<string> StartJobAsync(TestServer server, string product, string eventTag, long executions)
    {
        var job = TestApi.Job(eventTag, executions: executions, intervals: 200, startAt: "now");
        job.EventType = "messagebroker";
        job.Input = JsonSerializer.SerializeToElement(new { who = Who });
        return (await server.Admin.CreateJobAsync(product, job)).Tag!;
    }

    /// <summary>Waits for the job to complete and returns its executions (runs not skipped), oldest first.</summary>
    public static async Task<List<JobRun>> CompletedRunsAsync(TestServer server, string product, string job)
    {
        var done = await TestApi.EventuallyAsync(() => server.Admin.GetJsonAsync<ProductJob>(Routes.Job(product, job)),
            j => j.Status == "completed", TimeSpan.FromSeconds(30));
        Assert.Equal("completed", done.Status);
        var runs = await TestApi.EventuallyAsync(() => server.Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(product, job)),
            p => p.Items.All(r => r.FinishedAt is not null), TimeSpan.FromSeconds(30));
        return Executions([.. runs.Items.OrderBy(r => r.Slot)]);
    }

    /// <summary>
    /// The executions of a job: its runs without the slots skipped by <c>overlap: skip</c> (a cold first connect on a
    /// loaded machine may outlast a 200 ms slot; skipped slots do not count toward <c>executions</c>).
    /// </summary>
    public static List<JobRun> Executions(List<JobRun> runs) => [.. runs.Where(r => r.Status != "skipped")];

    /// <summary>There are <paramref name="count"/> executions, all succeeded; returns the message each one must have produced, in ordinal order.</summary>
    public static List<string> ExpectedMessages(List<JobRun> executions, string job, int count)
    {
        Assert.Equal(count, executions.Count);
        Assert.All(executions, r => Assert.True(r.Status == "succeeded", $"slot {r.Slot}: {r.Status} {r.Error?.Kind} {r.Error?.Message}"));
        return [.. executions.Select(r => ExpectedMessage(job, r.Slot)).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Both runs of a two-execution job failed with a connection error (or timed out connecting), on time: the broker being down neither
    /// stalls the engine nor makes it skip the next slot.
    /// </summary>
    public static void AssertFailedPromptly(List<JobRun> runs)
    {
        Assert.True(runs.Count == 2, "runs: " + string.Join("; ",
            runs.Select(r => $"slot {r.Slot} {r.Status} {r.Error?.Kind} {r.DurationMs} ms {r.Error?.Message}")));
        Assert.All(runs, r =>
        {
            Assert.Contains(r.Error?.Kind, new[] { "connection_refused", "timeout" });
            // A timeout is recorded timed_out whoever measured it (SPEC §1, timeout_ms); any other failure failed.
            Assert.Equal(r.Error?.Kind == "timeout" ? "timed_out" : "failed", r.Status);
            Assert.True(r.StartedAt - r.ScheduledAt < TimeSpan.FromSeconds(1), $"slot {r.Slot} started {r.StartedAt - r.ScheduledAt} late");
            Assert.True(r.DurationMs < 5_000, $"slot {r.Slot} took {r.DurationMs} ms");
        });
    }
}
