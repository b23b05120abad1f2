using Metronome.Contracts;
using Metronome.Samples;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Runs a job that calls a .NET function three times, 500 ms apart, inside this process; data in ./embedded.db.
var reports = new ReportLog();
using var host = EmbeddedSample.CreateBuilder("embedded.db", reports, args).Build();
await host.StartAsync();

var scheduler = host.Services.GetRequiredService<ReportJobs>();
await scheduler.ScheduleAsync("shop", EmbeddedSample.ReportEvent(), "nightly-report", executions: 3, intervalMs: 500);
await reports.WhenCalledAsync(3, new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);

var job = await host.Services.GetRequiredService<IMetronome>().Product("shop").Jobs.FetchAsync("nightly-report");
Console.WriteLine($"{job.Tag}: {job.ExecutionsDone}/{job.Executions} executions, status {job.Status}");
await host.StopAsync();
