using System.Text.Json;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests.Delivery.Notification;

/// <summary>
/// Drives one delivery scenario through the REST API of the real server: a product with secrets (PUT), an event,
/// a job starting now with a few executions, then its runs once the job has completed (polled, with a deadline).
/// </summary>
internal sealed class DeliveryScenario(TestServer server, string product)
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public string Product { get; } = product;

    public static async Task<DeliveryScenario> StartAsync(TestServer server, IReadOnlyDictionary<string, string>? secrets = null)
    {
        var product = (await server.CreateProductAsync()).Tag!;
        foreach (var (name, value) in secrets ?? new Dictionary<string, string>())
            await (await server.Admin.PutAsync(Routes.Secret(product, name), TestApi.Json(new SecretValue { Value = value }))).ExpectAsync(204);
        return new DeliveryScenario(server, product);
    }

    /// <summary>Creates the event (201 expected) and returns its tag.</summary>
    public async Task<string> CreateEventAsync(string type, string definitionJson)
    {
        var tag = TestApi.Unique("ev");
        var body = new ProductEvent { Type = type, Tag = tag, Name = "Delivery", Definition = JsonDocument.Parse(definitionJson).RootElement.Clone() };
        await (await server.Admin.PostAsync(Routes.Events(Product), TestApi.Json(body))).ExpectAsync(201);
        return tag;
    }

    /// <summary>POSTs an event and returns the status and body (for validation checks).</summary>
    public async Task<(int Status, string Body)> TryCreateEventAsync(string type, string definitionJson)
    {
        var body = new ProductEvent { Type = type, Tag = TestApi.Unique("ev"), Name = "Invalid", Definition = JsonDocument.Parse(definitionJson).RootElement.Clone() };
        var response = await server.Admin.PostAsync(Routes.Events(Product), TestApi.Json(body));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A job firing at once and then every <paramref name="intervals"/> ms, <paramref name="executions"/> times.</summary>
    public async Task<string> StartJobAsync(string eventType, string eventTag, long executions, string inputJson = "{}", long intervals = 200)
    {
        var job = TestApi.Job(eventTag, executions: executions, intervals: intervals, startAt: "now");
        job.EventType = eventType;
        job.Input = JsonDocument.Parse(inputJson).RootElement.Clone();
        return (await server.Admin.CreateJobAsync(Product, job)).Tag!;
    }

    /// <summary>
    /// Waits until the job has completed and its runs have finished; returns the executed runs (not the <c>skipped</c>
    /// ones: with the default <c>overlap: skip</c> a slot that comes due while a slow attempt still runs is recorded
    /// skipped and does not count, so slot numbers may have gaps on a loaded machine), oldest first.
    /// </summary>
    public async Task<IReadOnlyList<JobRun>> WaitForRunsAsync(string jobTag, int count)
    {
        var runs = await TestApi.EventuallyAsync(
            async () =>
            {
                var job = await server.Admin.GetJsonAsync<ProductJob>(Routes.Job(Product, jobTag));
                var page = await server.Admin.GetJsonAsync<Page<JobRun>>(Routes.JobRuns(Product, jobTag) + "?limit=100");
                return (job.Status, page.Items);
            },
            state => state.Status == "completed" && state.Items.Count(r => r.Status != "skipped") >= count && state.Items.All(r => r.Status != "running"),
            Deadline);
        Assert.True(runs.Status == "completed", $"job {jobTag} is {runs.Status} with {runs.Items.Count} runs: "
            + string.Join("; ", runs.Items.Select(r => $"{r.Slot} {r.Status} {r.Error?.Kind} {r.Error?.Message}")));
        return [.. runs.Items.Where(r => r.Status != "skipped").OrderBy(r => r.Slot)];
    }

    /// <summary>Exactly <paramref name="count"/> runs executed, one per distinct grid slot, and every one succeeded.</summary>
    public static void AssertAllSucceeded(IReadOnlyList<JobRun> runs, int count)
    {
        Assert.Equal(count, runs.Count);
        Assert.All(runs, r => Assert.True(r.Status == "succeeded", $"slot {r.Slot}: {r.Status} {r.Error?.Kind} {r.Error?.Message}"));
        Assert.Equal(count, runs.Select(r => r.Slot).Where(s => s > 0).Distinct().Count());
    }

    /// <summary>The slot numbers of the executed runs, ascending (what rendered content must show).</summary>
    public static long[] Slots(IReadOnlyList<JobRun> runs) => [.. runs.Select(r => r.Slot)];

    /// <summary>Every run failed with <paramref name="kind"/>, and each slot still fired (the job kept going).</summary>
    public static void AssertAllFailed(IReadOnlyList<JobRun> runs, int count, string kind)
    {
        Assert.Equal(count, runs.Count);
        Assert.All(runs, r =>
        {
            // A timeout is recorded timed_out whoever measured it (SPEC §1, timeout_ms); any other failure failed.
            var expected = kind == "timeout" ? "timed_out" : "failed";
            Assert.True(r.Status == expected, $"slot {r.Slot}: {r.Status} {r.Error?.Kind} {r.Error?.Message}");
            Assert.Equal(kind, r.Error?.Kind);
        });
        Assert.Equal(count, runs.Select(r => r.Slot).Where(s => s > 0).Distinct().Count());
    }
}
