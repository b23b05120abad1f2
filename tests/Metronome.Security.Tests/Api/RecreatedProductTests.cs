using System.Net;
using System.Net.Http.Json;
using Metronome.Contracts;

namespace Metronome.Security.Tests.Api;

/// <summary>
/// Attack 12: a product re-created with the tag of a deleted one saw the deleted product's run history. Deleting a
/// product now deletes its runs with its jobs, events, secrets and keys, in one transaction.
/// </summary>
public sealed class RecreatedProductTests(HostileServer server) : IClassFixture<HostileServer>
{
    [Fact]
    public async Task A_recreated_product_sees_no_runs_jobs_events_secrets_or_keys_of_the_deleted_one()
    {
        var first = await server.CreateTenantAsync("reborn");
        await first.CreateEventAsync("function", "f", new { language = "javascript", code = "function handler(){ return 'old'; }" });
        await Tenant.EnsureAsync(await first.Http.PutAsJsonAsync(Routes.Secret(first.Product, "TOKEN"), new { value = "old-secret" }));
        await first.CreateJobAsync("j", "function", "f", executions: 2, intervals: 100);
        var oldRuns = await first.WaitForFinishedRunsAsync("j", 2);
        var oldTrigger = await Tenant.ReadAsync<JobRun>(await first.Http.PostAsync(Routes.Job(first.Product, "j") + "/trigger", null));
        await first.WaitForFinishedRunsAsync("j", 3);

        Assert.Equal(HttpStatusCode.NoContent, (await server.Admin.DeleteAsync(Routes.Product(first.Product))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await first.Http.GetAsync(Routes.Product(first.Product))).StatusCode);

        await Tenant.EnsureAsync(await server.Admin.PostAsJsonAsync(Routes.Products, new { tag = first.Product, name = "again" }));
        var key = await Tenant.ReadAsync<ProductKey>(await server.Admin.PostAsync(Routes.Keys(first.Product), null));
        var second = new Tenant(first.Product, server.Client(key.Key!));
        Assert.Empty((await Tenant.ReadAsync<Page<ProductJob>>(await second.Http.GetAsync(Routes.Jobs(second.Product)))).Items);
        Assert.Empty((await Tenant.ReadAsync<Page<ProductEvent>>(await second.Http.GetAsync(Routes.Events(second.Product)))).Items);
        await second.CreateEventAsync("function", "f", new { language = "javascript", code = "function handler(input, context){ return 'new'; }" });
        // Not due for an hour: any run or count it shows can only be the deleted product's.
        await Tenant.EnsureAsync(await second.PostJsonAsync(Routes.Jobs(second.Product),
            """{"name":"j","tag":"j","event_type":"function","event_tag":"f","executions":1,"intervals":3600000}"""));

        Assert.Empty(await second.RunsAsync("j"));
        foreach (var run in oldRuns.Append(oldTrigger))
            Assert.Equal(HttpStatusCode.NotFound, (await second.Http.GetAsync(Routes.Run(second.Product, run.Id!))).StatusCode);
        Assert.Equal(0, (await Tenant.ReadAsync<ProductJob>(await second.Http.GetAsync(Routes.Job(second.Product, "j")))).ExecutionsDone);
    }
}
