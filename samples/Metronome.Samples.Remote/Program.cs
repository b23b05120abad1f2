using System.Text.Json;
using Metronome.Client;
using Metronome.Contracts;
using Metronome.Samples;

// The seed's example against a running server: METRONOME_URL (default http://127.0.0.1:5080) and METRONOME_API_KEY.
var url = new Uri(Environment.GetEnvironmentVariable("METRONOME_URL") ?? "http://127.0.0.1:5080");
var key = Environment.GetEnvironmentVariable("METRONOME_API_KEY") ?? throw new InvalidOperationException("set METRONOME_API_KEY");

using var client = new MetronomeClient(new MetronomeClientOptions { BaseAddress = url, ApiKey = key });

// The same application code as in the embedded sample: only the IMetronome behind it differs. A server cannot call
// this process's .NET functions, so the event here is a JavaScript function.
var report = new ProductEvent
{
    Type = JobEventTypes.Function, Tag = "report", Name = "Build the report",
    Definition = JsonSerializer.SerializeToElement(new { language = "javascript", code = "function handler(input, context) { return { slot: context.run.slot }; }" }),
};
await new ReportJobs(client).ScheduleAsync("shop", report, "nightly-report", executions: 3, intervalMs: 500);

var jobs = client.Product("shop").Jobs;
try
{
    await jobs.CreateAsync(new ProductJob { Name = "Example Job", Tag = "example_job", EventType = JobEventTypes.Function,
                                            EventTag = "report", Executions = 5, Intervals = 60000 });
}
catch (MetronomeApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict) { }
await jobs.UpdateAsync("example_job", new ProductJobUpdate { Name = "Updated Job Name", Executions = 10, Intervals = 120000 });
ProductJob job = await jobs.FetchAsync("example_job");
IReadOnlyList<ProductJob> all = await jobs.FetchAllAsync();
Console.WriteLine($"{job.Name}: every {job.Intervals} ms, {job.Executions} times; {all.Count} job(s) in 'shop'");

await foreach (var run in jobs.RunsAsync("nightly-report"))
    Console.WriteLine($"run {run.Id} slot {run.Slot}: {run.Status}");
