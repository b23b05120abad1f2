using System.Collections.Concurrent;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Hosting;
using Metronome.Events;
using Metronome.Storage.Postgres;
using Metronome.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Metronome.Embedded.Tests;

/// <summary><c>AddMetronome(o =&gt; o.UsePostgres(...))</c>: the same embedded API on the cluster store.</summary>
public sealed class EmbeddedPostgresTests
{
    [Fact]
    public async Task Embedded_host_on_postgres_runs_a_dotnet_function_job_exactly_three_times()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync();
        var slots = new ConcurrentQueue<long>();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMetronome(o =>
        {
            o.UsePostgres(database);
            o.AddFunction("count", (input, context, ct) =>
            {
                slots.Enqueue(context.Slot);
                return Task.FromResult<object?>(new { slot = context.Slot });
            });
        });
        builder.Services.AddMetronomeEvents();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var metronome = host.Services.GetRequiredService<IMetronome>();
            await metronome.Products.CreateAsync(new Product { Tag = "shop", Name = "Shop" });
            await metronome.Product("shop").Events.CreateAsync(new ProductEvent
            {
                Type = JobEventTypes.Function, Tag = "count", Name = "Count",
                Definition = JsonSerializer.SerializeToElement(new { language = "dotnet", handler = "count" }),
            });
            var jobs = metronome.Product("shop").Jobs;
            await jobs.CreateAsync(new ProductJob
            {
                Name = "Counted", Tag = "counted", EventType = JobEventTypes.Function, EventTag = "count", Executions = 3, Intervals = 200, StartAt = "now",
            });

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            ProductJob job;
            while ((job = await jobs.FetchAsync("counted")).Status != JobStatuses.Completed)
            {
                Assert.True(DateTime.UtcNow < deadline, $"job still {job.Status} with {job.ExecutionsDone} executions");
                await Task.Delay(100);
            }

            Assert.Equal(3, job.ExecutionsDone);
            Assert.Equal(3, slots.Count);
            Assert.Equal(3, slots.Distinct().Count());
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
