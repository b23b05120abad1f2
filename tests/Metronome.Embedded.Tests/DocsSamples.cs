using System.Net;
using System.Text.Json;
using Metronome.Client;
using Metronome.Contracts;
using Metronome.Core.Hosting;
using Metronome.Events;
using Metronome.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Metronome.Embedded.Tests;

// The C# samples of docs/sdk.md, line for line: DocsSamplesTests checks that every ```csharp block of the page appears
// here (indentation aside), compiles them by compiling this file, and runs them against a real server and an embedded
// host. Change a sample here and in docs/sdk.md together.

/// <summary>The SDK samples of docs/sdk.md, as methods of a class of the reader's.</summary>
internal static class DocsSamples
{
    public static MetronomeClient CreateClient(Uri serverUrl, string apiKey) =>
        new(new MetronomeClientOptions
        {
            BaseAddress = serverUrl,              // e.g. http://127.0.0.1:5080
            ApiKey = apiKey,                      // the admin key, or a product key for one product
            Timeout = TimeSpan.FromSeconds(30),   // per call, retries included (default 100 s)
            MaxRetryAttempts = 3,                 // GET, PUT and DELETE only (default 3)
        });

    public static async Task<string> SetUpProductAsync(IMetronome metronome, CancellationToken ct)
    {
        await metronome.Products.CreateAsync(new Product { Tag = "shop", Name = "Shop" }, ct);
        IProductApi shop = metronome.Product("shop");
        await shop.Secrets.SetAsync("BILLING", "s3cr3t", ct);
        await shop.Events.CreateAsync(new ProductEvent
        {
            Type = JobEventTypes.Action, Tag = "ping", Name = "Ping billing",
            Definition = JsonSerializer.SerializeToElement(new
            {
                method = "POST", url = "http://127.0.0.1:8080/api/ping",
                headers = new Dictionary<string, string> { ["X-Token"] = "{{secrets.BILLING}}" },
            }),
        }, ct);
        ProductKey key = await shop.Keys.CreateAsync(ct);   // a key for this product only, shown once
        return key.Key!;
    }

    public static async Task ManageJobsAsync(IMetronome metronome, CancellationToken ct)
    {
        IProductJobs jobs = metronome.Product("shop").Jobs;
        await jobs.CreateAsync(new ProductJob
        {
            Name = "Example Job", Tag = "example_job", EventType = JobEventTypes.Action, EventTag = "ping",
            Executions = 5, Intervals = 60000,
            Retries = new RetryOptions { MaxAttempts = 3, BackoffMs = 1000 },
        }, ct);
        await jobs.UpdateAsync("example_job", new ProductJobUpdate { Name = "Updated Job Name", Executions = 10, Intervals = 120000 }, ct);
        ProductJob job = await jobs.FetchAsync("example_job", ct);
        IReadOnlyList<ProductJob> all = await jobs.FetchAllAsync(ct);
        Page<ProductJob> active = await jobs.ListAsync(status: JobStatuses.Active, limit: 50, ct: ct);
        Console.WriteLine($"{job.Name}: {job.ExecutionsDone}/{job.Executions}, next {job.NextRunAt}; {all.Count} jobs, more: {active.NextCursor is not null}");

        await jobs.PauseAsync("example_job", ct);
        JobRun run = await jobs.TriggerAsync("example_job", ct);     // runs once now, even while paused
        await jobs.ResumeAsync("example_job", ct);
        JobRun again = await jobs.FetchRunAsync(run.Id!, ct);
        Console.WriteLine($"run {again.Id}: slot {again.Slot}, {again.Status}");

        await foreach (JobRun r in jobs.RunsAsync("example_job", ct: ct))   // newest first, page by page
            Console.WriteLine($"{r.ScheduledAt:O} slot {r.Slot} attempt {r.Attempt}: {r.Status} {r.Error?.Kind}");
        Page<JobRun> failed = await jobs.ListRunsAsync("example_job", status: RunStatuses.Failed, limit: 10, ct: ct);
        Console.WriteLine($"{failed.Items.Count} failed run(s) on the first page");

        JobBackfillResponse backfill = await jobs.BackfillAsync("example_job", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow, ct);
        Console.WriteLine($"{backfill.Slots} slot(s) of the last day queued to run");

        await jobs.DeleteAsync("example_job", ct);
    }

    public static async Task<ProductJob?> FindJobAsync(IProductJobs jobs, string tag, CancellationToken ct)
    {
        try
        {
            return await jobs.FetchAsync(tag, ct);
        }
        catch (MetronomeApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public static async Task<bool> TryCreateAsync(IProductJobs jobs, ProductJob job, CancellationToken ct)
    {
        try
        {
            await jobs.CreateAsync(job, ct);
            return true;
        }
        catch (MetronomeApiException e) when (e.StatusCode == HttpStatusCode.BadRequest)
        {
            foreach (var (field, messages) in e.Errors)   // e.g. "intervals": ["intervals must be between 100 and ..."]
                Console.Error.WriteLine($"{field}: {string.Join(" ", messages)}");
            return false;
        }
        catch (MetronomeApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return false;   // the tag is taken
        }
        catch (MetronomeApiException e) when (e.IsTransportFailure)
        {
            Console.Error.WriteLine($"server not reached: {e.InnerException?.Message}");
            throw;
        }
    }

    public static async Task<List<JobRun>> RecentFailuresAsync(IProductJobs jobs, string tag)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var failures = new List<JobRun>();
        try
        {
            await foreach (JobRun run in jobs.RunsAsync(tag, status: RunStatuses.Failed, ct: cts.Token))
            {
                failures.Add(run);
                if (failures.Count == 20) break;   // stops fetching pages
            }
        }
        catch (OperationCanceledException)
        {
            // 5 s passed: keep what was read
        }
        return failures;
    }

    public static void AddToWebApp(WebApplicationBuilder builder)
    {
        builder.Services.AddMetronomeClient(o =>
        {
            o.BaseAddress = new Uri(builder.Configuration["Metronome:Url"] ?? "http://127.0.0.1:5080");
            o.ApiKey = builder.Configuration["Metronome:ApiKey"];
        });
        // Inject IMetronome (or MetronomeClient) where jobs are managed.
    }
}

/// <summary>The embedded host of docs/sdk.md: its Program.cs, as a method (a test file cannot hold top-level statements).</summary>
internal static class DocsEmbeddedProgram
{
    public static async Task RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddMetronome(o =>
        {
            o.UseSqlite("jobs.db");                                   // the store: a file next to the app
            o.Configure(options => options.NodeName = "billing-worker");
            o.AddFunction("send-invoices", (input, context, ct) =>
            {
                // context.IdempotencyKey is the same for every attempt of one slot: use it to send each invoice once.
                var customer = input.GetProperty("customer").GetString();
                return Task.FromResult<object?>(new { customer, slot = context.Slot, key = context.IdempotencyKey });
            });
        });
        builder.Services.AddMetronomeEvents();                        // the executors: action, notification, function, ...
        builder.Services.AddHostedService<InvoiceSchedule>();
        await builder.Build().RunAsync();
    }
}

/// <summary>Creates the product, event and job of the embedded sample at start, unless they exist.</summary>
internal sealed class InvoiceSchedule(IMetronome metronome) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await metronome.Products.CreateAsync(new Product { Tag = "billing", Name = "Billing" }, stoppingToken);
        }
        catch (MetronomeApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return;   // created by an earlier start: the schedule is in the database
        }
        IProductApi billing = metronome.Product("billing");
        await billing.Events.CreateAsync(new ProductEvent
        {
            Type = JobEventTypes.Function, Tag = "send-invoices", Name = "Send invoices",
            Definition = JsonSerializer.SerializeToElement(new { language = "dotnet", handler = "send-invoices" }),
        }, stoppingToken);
        await billing.Jobs.CreateAsync(new ProductJob
        {
            Name = "Invoices every day", Tag = "daily-invoices", EventType = JobEventTypes.Function, EventTag = "send-invoices",
            Executions = 0, Intervals = 86_400_000, StartAt = "now",
            Input = JsonSerializer.SerializeToElement(new { customer = "acme" }),
        }, stoppingToken);
    }
}
