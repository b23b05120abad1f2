using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Metronome.Contracts;
using Metronome.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metronome.Server.Tests.Crash;

/// <summary>kill -9 of a real server process mid-run, then a restart on the same data directory.</summary>
public sealed class CrashRecoveryTests
{
    private const int Jobs = 20;
    private const int Executions = 10;

    [Fact]
    public async Task Kill_9_mid_run_loses_no_job_and_records_no_slot_twice()
    {
        var seen = new ConcurrentDictionary<string, int>();
        await using var target = await StartTargetAsync(seen);
        var targetUrl = target.Urls.Single();
        var dataDir = Directory.CreateTempSubdirectory("metronome-crash-").FullName;
        const string adminKey = "crash-test-admin-key-0123456789";
        var port = FreePort.Next();

        var server = await ServerProcess.StartAsync("crash", dataDir, adminKey, port: port);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        await Ok(http.PostAsJsonAsync(Routes.Products, new Product { Tag = "shop", Name = "Shop" }, MetronomeJson.Options));
        await Ok(http.PostAsJsonAsync(Routes.Events("shop"), new
        {
            type = "action", tag = "hit", name = "Hit",
            definition = new { method = "POST", url = $"{targetUrl}/hit", body = new { job = "{{job.tag}}", slot = "{{run.slot}}" } },
        }));
        for (int i = 0; i < Jobs; i++)
            await Ok(http.PostAsJsonAsync(Routes.Jobs("shop"), new ProductJob
            {
                Name = $"Job {i}", Tag = $"job-{i}", EventType = JobEventTypes.Action, EventTag = "hit", Executions = Executions, Intervals = 200,
                StartAt = "now", Retries = new RetryOptions { MaxAttempts = 2, BackoffMs = 50, MaxBackoffMs = 100 },
            }, MetronomeJson.Options));

        await WaitUntilAsync(() => seen.Count >= Jobs * 3, TimeSpan.FromSeconds(30)); // well into the run
        server.KillHard();
        var seenAtKill = seen.Count;
        Assert.True(seenAtKill < Jobs * Executions, "the kill must come mid-run");

        await using var restarted = await ServerProcess.StartAsync("crash-restarted", dataDir, adminKey, port: port);
        await WaitUntilAsync(async () =>
        {
            var page = await Get<Page<ProductJob>>(http, Routes.Jobs("shop") + "?limit=1000");
            return page.Items.Count == Jobs && page.Items.All(j => j.Status == JobStatuses.Completed);
        }, TimeSpan.FromSeconds(90));

        for (int i = 0; i < Jobs; i++)
        {
            var job = await Get<ProductJob>(http, Routes.Job("shop", $"job-{i}"));
            Assert.Equal(Executions, job.ExecutionsDone);
            var runs = (await Get<Page<JobRun>>(http, Routes.JobRuns("shop", $"job-{i}") + "?limit=1000")).Items;
            var executed = runs.Where(r => r.Status != RunStatuses.Skipped).ToList();
            Assert.Equal(Executions, executed.Count);                                          // no job lost a slot
            Assert.Equal(executed.Count, executed.Select(r => r.Slot).Distinct().Count());     // no slot recorded twice
            Assert.All(executed, r => Assert.Contains(r.Status, new[] { RunStatuses.Succeeded, RunStatuses.Abandoned }));
        }
        // A slot in flight at the kill may reach the target twice (same idempotency key), never more.
        Assert.All(seen, kv => Assert.InRange(kv.Value, 1, 2));
        Assert.True(seen.Count >= Jobs * Executions - Jobs, $"target saw {seen.Count} distinct slots");
    }

    private static async Task<WebApplication> StartTargetAsync(ConcurrentDictionary<string, int> seen)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/hit", async (HttpRequest request) =>
        {
            var key = request.Headers["Idempotency-Key"].ToString();
            seen.AddOrUpdate(key, 1, (_, n) => n + 1);
            await Task.Delay(30); // keep some attempts in flight when the kill comes
            return Results.Ok(new { ok = true });
        });
        await app.StartAsync();
        return app;
    }

    private static async Task Ok(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<T> Get<T>(HttpClient http, string url) =>
        (await http.GetFromJsonAsync<T>(url, MetronomeJson.Options))!;

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan patience) => WaitUntilAsync(() => Task.FromResult(condition()), patience);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"condition not met within {patience}");
            await Task.Delay(100);
        }
    }
}
