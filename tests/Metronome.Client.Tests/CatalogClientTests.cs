using System.Net;
using Metronome.Client.Tests.Infrastructure;
using Metronome.Contracts;

namespace Metronome.Client.Tests;

/// <summary>Products, events, secrets and keys through the SDK against a real server process.</summary>
[Collection(ServerCollection.Name)]
public sealed class CatalogClientTests(ServerFixture fixture)
{
    [Fact]
    public async Task Products_can_be_created_fetched_listed_updated_and_deleted()
    {
        var tag = ServerFixture.Unique("prod");
        var products = fixture.Admin.Products;

        var created = await products.CreateAsync(new Product { Tag = tag, Name = "Shop", Description = "first" });
        var updated = await products.UpdateAsync(tag, new ProductUpdate { Description = "second" });
        var fetched = await products.FetchAsync(tag);
        var listed = await products.FetchAllAsync();
        await products.DeleteAsync(tag);

        Assert.Equal("Shop", created.Name);
        Assert.Equal("second", updated.Description);
        Assert.Equal("Shop", fetched.Name);
        Assert.Contains(listed, p => p.Tag == tag);
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<MetronomeApiException>(() => products.FetchAsync(tag))).StatusCode);
    }

    [Fact]
    public async Task Events_can_be_created_fetched_listed_updated_and_deleted()
    {
        var product = await fixture.CreateProductAsync();
        var events = fixture.Admin.Product(product).Events;

        var created = await events.CreateAsync(ServerFixture.FunctionEvent("double"));
        var updated = await events.UpdateAsync(JobEventTypes.Function, "double", new ProductEventUpdate { Name = "Double it" });
        var fetched = await events.FetchAsync("FUNCTION", "double");
        var functions = await events.FetchAllAsync(JobEventTypes.Function);
        var all = await events.FetchAllAsync();
        await events.DeleteAsync(JobEventTypes.Function, "double");

        Assert.Equal("javascript", created.Definition!.Value.GetProperty("language").GetString());
        Assert.Equal("Double it", updated.Name);
        Assert.Equal("Double it", fetched.Name);
        Assert.Equal(["double", "sum"], functions.Select(e => e.Tag).Order());
        Assert.Equal(3, all.Count);
        Assert.DoesNotContain(await events.FetchAllAsync(), e => e.Tag == "double");
    }

    [Fact]
    public async Task Deleting_an_event_used_by_a_job_conflicts_unless_forced_which_pauses_the_job()
    {
        var product = await fixture.CreateProductAsync();
        var api = fixture.Admin.Product(product);
        await api.Jobs.CreateAsync(new ProductJob { Name = "J", Tag = "j", EventType = "function", EventTag = "sum", Executions = 0, Intervals = 3_600_000 });

        var conflict = await Assert.ThrowsAsync<MetronomeApiException>(() => api.Events.DeleteAsync("function", "sum"));
        await api.Events.DeleteAsync("function", "sum", force: true);

        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal(JobStatuses.Paused, (await api.Jobs.FetchAsync("j")).Status);
    }

    [Fact]
    public async Task A_secret_is_stored_and_an_invalid_name_is_refused_before_sending()
    {
        var secrets = fixture.Admin.Product(await fixture.CreateProductAsync()).Secrets;

        await secrets.SetAsync("BILLING_TOKEN", "s3cret");
        await secrets.SetAsync("BILLING_TOKEN", "replaced");
        // The SDK checks the name before it builds the URL (the server's own 400 is covered by the server tests).
        var e = await Assert.ThrowsAsync<ArgumentException>(() => secrets.SetAsync("not a name", "x"));

        Assert.Equal("name", e.ParamName);
        Assert.Contains(ResourceNames.SecretNamePattern, e.Message);
    }

    [Fact]
    public async Task A_product_key_created_through_the_SDK_reaches_only_its_product()
    {
        var mine = await fixture.CreateProductAsync();
        var other = await fixture.CreateProductAsync();
        var key = await fixture.Admin.Product(mine).Keys.CreateAsync();
        using var client = fixture.Client(key.Key);

        var own = await client.Products.FetchAsync(mine);
        var foreign = await Assert.ThrowsAsync<MetronomeApiException>(() => client.Product(other).Jobs.FetchAllAsync());

        Assert.StartsWith("mk_", key.Key);
        Assert.NotNull(key.Id);
        Assert.Equal(mine, own.Tag);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal($"product '{other}' not found", foreign.Detail);
    }
}
