using System.Text.Json;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

public sealed class BulkJobsApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer Server => fixture.Server;
    private HttpClient Admin => fixture.Server.Admin;

    private static string Bulk(string product) => Routes.Jobs(product) + ":bulk";

    private async Task<(string Product, string Event)> ProductWithEventAsync()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var ev = await Admin.CreateActionEventAsync(product, fixture.Target.Url);
        return (product, ev.Tag!);
    }

    private static async Task<JsonElement[]> ItemsAsync(HttpResponseMessage response)
    {
        var text = await response.ExpectAsync(200);
        return [.. JsonDocument.Parse(text).RootElement.GetProperty("items").EnumerateArray()];
    }

    [Fact]
    public async Task Bulk_create_answers_201_for_every_item_and_the_jobs_exist()
    {
        var (product, ev) = await ProductWithEventAsync();
        var jobs = Enumerable.Range(0, 3).Select(i => TestApi.Job(ev, $"bulk-{i}", executions: 2)).ToArray();

        var items = await ItemsAsync(await Admin.PostAsync(Bulk(product), TestApi.Json(new { items = jobs })));

        Assert.Equal(3, items.Length);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(201, items[i].GetProperty("status").GetInt32());
            Assert.Equal($"bulk-{i}", items[i].GetProperty("tag").GetString());
            Assert.Equal("active", items[i].GetProperty("job").GetProperty("status").GetString());
            Assert.False(items[i].TryGetProperty("errors", out _));
            var read = await Admin.GetJsonAsync<ProductJob>(Routes.Job(product, $"bulk-{i}"));
            Assert.Equal(2, read.Executions);
        }
    }

    [Fact]
    public async Task Bulk_create_answers_each_item_as_a_single_create_would()
    {
        var (product, ev) = await ProductWithEventAsync();
        await Admin.CreateJobAsync(product, TestApi.Job(ev, "taken"));
        var body = new
        {
            items = new object[]
            {
                TestApi.Job(ev, "fresh"),
                TestApi.Job(ev, "bad-interval", intervals: 0),
                TestApi.Job(ev, "taken"),
                TestApi.Job("no-such-event", "orphan"),
            },
        };

        var items = await ItemsAsync(await Admin.PostAsync(Bulk(product), TestApi.Json(body)));

        Assert.Equal([201, 400, 409, 400], items.Select(i => i.GetProperty("status").GetInt32()));
        Assert.Equal(["fresh", "bad-interval", "taken", "orphan"], items.Select(i => i.GetProperty("tag").GetString()));
        Assert.True(items[1].GetProperty("errors").TryGetProperty("intervals", out _));
        Assert.False(items[1].TryGetProperty("job", out _));
        Assert.Contains("already exists", items[2].GetProperty("detail").GetString());
        Assert.True(items[3].GetProperty("errors").TryGetProperty("event_tag", out _));
        await (await Admin.GetAsync(Routes.Job(product, "fresh"))).ExpectAsync(200);
        await (await Admin.GetAsync(Routes.Job(product, "bad-interval"))).ExpectAsync(404);
        await (await Admin.GetAsync(Routes.Job(product, "orphan"))).ExpectAsync(404);
    }

    [Fact]
    public async Task Tag_repeated_within_one_bulk_is_created_once_and_the_repeat_answers_409()
    {
        var (product, ev) = await ProductWithEventAsync();
        var body = new { items = new[] { TestApi.Job(ev, "twice", executions: 1), TestApi.Job(ev, "other"), TestApi.Job(ev, "twice", executions: 9) } };

        var items = await ItemsAsync(await Admin.PostAsync(Bulk(product), TestApi.Json(body)));

        Assert.Equal([201, 201, 409], items.Select(i => i.GetProperty("status").GetInt32()));
        Assert.Equal(1, (await Admin.GetJsonAsync<ProductJob>(Routes.Job(product, "twice"))).Executions);
    }

    [Fact]
    public async Task More_than_1000_items_answer_400_naming_items_and_create_nothing()
    {
        var (product, ev) = await ProductWithEventAsync();
        var body = new { items = Enumerable.Range(0, 1001).Select(i => TestApi.Job(ev, $"many-{i}")).ToArray() };

        var text = await (await Admin.PostAsync(Bulk(product), TestApi.Json(body))).ExpectAsync(400);

        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty("items", out _));
        Assert.Empty((await Admin.GetJsonAsync<Page<ProductJob>>(Routes.Jobs(product))).Items);
    }

    [Fact]
    public async Task Exactly_1000_items_are_created_in_one_call()
    {
        var (product, ev) = await ProductWithEventAsync();
        var body = new { items = Enumerable.Range(0, 1000).Select(i => TestApi.Job(ev, $"k-{i}")).ToArray() };

        var items = await ItemsAsync(await Admin.PostAsync(Bulk(product), TestApi.Json(body)));

        Assert.All(items, i => Assert.Equal(201, i.GetProperty("status").GetInt32()));
        var page = await Admin.GetJsonAsync<Page<ProductJob>>(Routes.Jobs(product) + "?limit=1000");
        Assert.Equal(1000, page.Items.Count);
    }

    [Fact]
    public async Task Missing_or_empty_items_answer_400()
    {
        var (product, _) = await ProductWithEventAsync();
        await (await Admin.PostAsync(Bulk(product), TestApi.Raw("""{"items":[]}"""))).ExpectAsync(400);
        await (await Admin.PostAsync(Bulk(product), TestApi.Raw("{}"))).ExpectAsync(400);
        await (await Admin.PostAsync(Bulk(product), TestApi.Raw("""{"items":[],"extra":1}"""))).ExpectAsync(400);
    }

    [Fact]
    public async Task Another_products_bulk_answers_404_to_a_product_key_and_a_missing_product_404_to_the_admin()
    {
        var (mine, ev) = await ProductWithEventAsync();
        var (theirs, theirEvent) = await ProductWithEventAsync();
        using var client = Server.Client(await Server.CreateKeyAsync(mine));

        await (await client.PostAsync(Bulk(theirs), TestApi.Json(new { items = new[] { TestApi.Job(theirEvent) } }))).ExpectAsync(404);
        await (await Admin.PostAsync(Bulk("no-such-product"), TestApi.Json(new { items = new[] { TestApi.Job(ev) } }))).ExpectAsync(404);
        var own = await ItemsAsync(await client.PostAsync(Bulk(mine), TestApi.Json(new { items = new[] { TestApi.Job(ev, "mine") } })));
        Assert.Equal(201, own[0].GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task A_job_tagged_bulk_keeps_its_own_url()
    {
        var (product, ev) = await ProductWithEventAsync();
        await Admin.CreateJobAsync(product, TestApi.Job(ev, "bulk"));

        var read = await Admin.GetJsonAsync<ProductJob>(Routes.Job(product, "bulk"));

        Assert.Equal("bulk", read.Tag);
    }

    [Fact]
    public async Task Concurrent_single_creates_each_get_their_own_answer()
    {
        var (product, ev) = await ProductWithEventAsync();
        // 40 creates at once (group-committed together), every tag twice: exactly one of each pair wins.
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Admin.PostAsync(Routes.Jobs(product), TestApi.Json(TestApi.Job(ev, $"c-{i / 2}")))));

        var codes = responses.Select(r => (int)r.StatusCode).ToArray();
        Assert.Equal(20, codes.Count(c => c == 201));
        Assert.Equal(20, codes.Count(c => c == 409));
        Assert.Equal(20, (await Admin.GetJsonAsync<Page<ProductJob>>(Routes.Jobs(product))).Items.Count);
    }

    [Fact]
    public async Task Create_after_its_event_was_deleted_answers_400_and_after_its_product_was_deleted_404()
    {
        var (product, ev) = await ProductWithEventAsync();
        await Admin.CreateJobAsync(product, TestApi.Job(ev, "first")); // the product and the event are now cached
        await (await Admin.DeleteAsync(Routes.Job(product, "first"))).ExpectAsync(204);

        await (await Admin.DeleteAsync(Routes.Event(product, "action", ev))).ExpectAsync(204);
        var afterEvent = await (await Admin.PostAsync(Routes.Jobs(product), TestApi.Json(TestApi.Job(ev, "second")))).ExpectAsync(400);
        Assert.Contains("event_tag", afterEvent);

        await (await Admin.DeleteAsync(Routes.Product(product))).ExpectAsync(204);
        await (await Admin.PostAsync(Routes.Jobs(product), TestApi.Json(TestApi.Job(ev, "third")))).ExpectAsync(404);
        await (await Admin.PostAsync(Bulk(product), TestApi.Json(new { items = new[] { TestApi.Job(ev, "fourth") } }))).ExpectAsync(404);
    }
}
