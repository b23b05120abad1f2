using System.Diagnostics;
using Xunit.Abstractions;
using Metronome.Contracts;

namespace Metronome.Security.Tests.Functions;

/// <summary>Busy loops of one tenant (issue 10, point 4) on their own server: they hold its workers for a minute.</summary>
[Collection(FunctionAttackCollection.Name)]
public sealed class CpuStarvationTests(FunctionServer server, ITestOutputHelper output) : IClassFixture<FunctionServer>
{
    [Fact]
    public async Task Sixty_four_busy_loops_leave_the_api_answering_and_the_admin_able_to_delete_the_product()
    {
        var evil = await server.CreateTenantAsync("spin");
        await evil.CreateFunctionAsync("spin", "function handler(){ while(true){} }", timeoutMs: 60_000);
        for (var i = 0; i < 64; i++) await evil.CreateFunctionJobAsync($"spin{i}", "spin", executions: 0, intervals: 1000);
        await WaitForBusyWorkersAsync(evil);
        var cpuBefore = WorkerCpuTicks();

        var latencies = new List<double>();
        for (var i = 0; i < 30; i++)
        {
            var watch = Stopwatch.StartNew();
            await Tenant.EnsureAsync(await evil.Http.GetAsync(Routes.Job(evil.Product, $"spin{i % 64}")));
            latencies.Add(watch.Elapsed.TotalMilliseconds);
            // Spread over a few seconds, so the loops are measured burning CPU while the API answers.
            await Task.Delay(100);
        }
        var cpuDuring = WorkerCpuTicks() - cpuBefore;
        var watchDelete = Stopwatch.StartNew();
        var deleted = await server.Admin.DeleteAsync(Routes.Product(evil.Product));
        var deleteMs = watchDelete.Elapsed.TotalMilliseconds;

        latencies.Sort();
        var p50 = latencies[latencies.Count / 2];
        output.WriteLine($"GET p50 {p50:0} ms, max {latencies[^1]:0} ms; worker CPU during {cpuDuring} ticks; DELETE {deleteMs:0} ms ({(int)deleted.StatusCode})");
        Assert.True(cpuDuring >= 50, $"the loops used {cpuDuring} ticks of CPU while the API was measured");
        Assert.True(p50 < 500, $"p50 {p50:0} ms of GETs while 64 loops run; all: {string.Join(", ", latencies.Select(l => l.ToString("0")))}");
        await Tenant.EnsureAsync(deleted);
        Assert.True(deleteMs < 10_000, $"DELETE took {deleteMs:0} ms");
        Assert.True(await server.IsAliveAsync());
    }

    /// <summary>Both workers exist and at least two loops are running in them.</summary>
    private async Task WaitForBusyWorkersAsync(Tenant evil)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        while (true)
        {
            var running = 0;
            if (server.WorkerPids().Count >= FunctionServer.Workers)
            {
                for (var i = 0; i < 64 && running < FunctionServer.Workers; i++)
                    running += (await evil.RunsAsync($"spin{i}")).Count(r => r.Status == RunStatuses.Running);
            }
            if (running >= FunctionServer.Workers) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the loops did not start");
            await Task.Delay(200);
        }
    }

    /// <summary>CPU time (clock ticks) the workers have used so far.</summary>
    private long WorkerCpuTicks() => server.WorkerPids().Sum(pid =>
    {
        try
        {
            var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(fields[11]) + long.Parse(fields[12]);
        }
        catch (IOException) { return 0; }
    });
}
