using System.Net.Http.Headers;
using System.Text.Json;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

/// <summary>GET /api/products/{product}/audit: every change with its actor (admin or the key id) and a field diff.</summary>
public sealed class AuditApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Each_change_is_recorded_newest_first_with_its_actor_and_only_the_changed_fields()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var key = await CreateKeyAsync(product);
        using var keyClient = Server.Client(key.Key!);
        var ev = await Server.Admin.CreateActionEventAsync(product, fixture.Target.Url);
        var job = await keyClient.CreateJobAsync(product, TestApi.Job(ev.Tag!));
        var tag = job.Tag!;

        await (await Server.Admin.PatchAsync(Routes.Job(product, tag), TestApi.Raw("""{"name":"Renamed"}"""))).ExpectAsync(200);
        // The same value again changes nothing, so it records nothing.
        await (await Server.Admin.PatchAsync(Routes.Job(product, tag), TestApi.Raw("""{"name":"Renamed"}"""))).ExpectAsync(200);
        await (await keyClient.PostAsync(Routes.Job(product, tag) + "/pause", null)).ExpectAsync(200);
        await (await Server.Admin.PostAsync(Routes.Job(product, tag) + "/resume", null)).ExpectAsync(200);
        await (await Server.Admin.PatchAsync(Routes.Event(product, "action", ev.Tag!), TestApi.Raw("""{"name":"Call it"}"""))).ExpectAsync(200);
        await (await keyClient.PutAsync(Routes.Secret(product, "API_TOKEN"), TestApi.Json(new SecretValue { Value = "sup3r-s3cret-v4lue" }))).ExpectAsync(204);
        await (await keyClient.DeleteAsync(Routes.Job(product, tag))).ExpectAsync(204);

        var raw = await (await Server.Admin.GetAsync(Routes.Audit(product))).ExpectAsync(200);
        Assert.DoesNotContain("sup3r-s3cret", raw);
        var items = JsonSerializer.Deserialize<Page<AuditLogEntry>>(raw, MetronomeJson.Options)!.Items;
        Assert.Equal(
            ["job.delete", "secret.put", "event.update", "job.resume", "job.pause", "job.update", "job.create", "event.create", "key.create", "product.create"],
            items.Select(i => i.Action));
        Assert.True(items.Zip(items.Skip(1)).All(p => p.First.At >= p.Second.At), "newest first");

        var byAction = items.ToDictionary(i => i.Action!);
        Assert.Equal(key.Id, byAction["job.create"].Actor);
        Assert.Equal(key.Id, byAction["job.pause"].Actor);
        Assert.Equal(key.Id, byAction["secret.put"].Actor);
        Assert.Equal(key.Id, byAction["job.delete"].Actor);
        Assert.Equal("admin", byAction["job.update"].Actor);
        Assert.Equal("admin", byAction["job.resume"].Actor);
        Assert.Equal("admin", byAction["key.create"].Actor);
        Assert.Equal(key.Id, byAction["key.create"].Target);
        Assert.All(items.Where(i => i.Action!.StartsWith("job.", StringComparison.Ordinal)), i => Assert.Equal(tag, i.Target));

        var update = byAction["job.update"].Changes;
        Assert.Equal(["name"], update.Keys);
        Assert.Equal("A job", update["name"].Old!.Value.GetString());
        Assert.Equal("Renamed", update["name"].New!.Value.GetString());
        Assert.Equal(["status"], byAction["job.pause"].Changes.Keys);
        Assert.Equal("active", byAction["job.pause"].Changes["status"].Old!.Value.GetString());
        Assert.Equal("paused", byAction["job.pause"].Changes["status"].New!.Value.GetString());
        Assert.Equal("paused", byAction["job.resume"].Changes["status"].Old!.Value.GetString());
        Assert.Equal("Call it", byAction["event.update"].Changes["name"].New!.Value.GetString());
        Assert.Equal($"action/{ev.Tag}", byAction["event.update"].Target);
        Assert.Equal(ev.Tag, byAction["job.create"].Changes["event_tag"].New!.Value.GetString());
        var secret = byAction["secret.put"];
        Assert.Equal("API_TOKEN", secret.Target);
        Assert.Equal(["value"], secret.Changes.Keys);
        Assert.Equal("***", secret.Changes["value"].New!.Value.GetString());
        Assert.Null(secret.Changes["value"].Old);
    }

    [Fact]
    public async Task A_bulk_create_records_one_job_create_per_created_job_by_its_caller_and_none_for_a_refused_item()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var key = await CreateKeyAsync(product);
        using var keyClient = Server.Client(key.Key!);
        var ev = await Server.Admin.CreateActionEventAsync(product, fixture.Target.Url);
        object[] jobs =
        [
            .. Enumerable.Range(0, 300).Select(i => TestApi.Job(ev.Tag!, $"bulk-{i:D3}")),
            new { name = "No schedule", tag = "refused", event_type = "action", event_tag = ev.Tag },
        ];

        await (await keyClient.PostAsync(Routes.Jobs(product) + ":bulk", TestApi.Json(new { items = jobs }))).ExpectAsync(200);

        var creates = new List<AuditLogEntry>();
        string? cursor = null;
        do
        {
            var page = await Server.Admin.GetJsonAsync<Page<AuditLogEntry>>(
                Routes.Audit(product) + "?limit=200" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            creates.AddRange(page.Items.Where(i => i.Action == "job.create"));
            cursor = page.NextCursor;
        } while (cursor is not null);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"bulk-{i:D3}"), creates.Select(c => c.Target).Order(StringComparer.Ordinal));
        Assert.All(creates, c => Assert.Equal(key.Id, c.Actor));
        Assert.All(creates, c => Assert.Equal(ev.Tag, c.Changes["event_tag"].New!.Value.GetString()));
    }

    [Fact]
    public async Task Pages_follow_the_opaque_cursor_and_bad_limits_or_cursors_answer_400()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        for (int i = 0; i < 4; i++)
            await (await Server.Admin.PutAsync(Routes.Secret(product, $"S{i}"), TestApi.Json(new SecretValue { Value = "v" }))).ExpectAsync(204);

        var first = await Server.Admin.GetJsonAsync<Page<AuditLogEntry>>(Routes.Audit(product) + "?limit=2");
        Assert.Equal(["S3", "S2"], first.Items.Select(i => i.Target));
        Assert.NotNull(first.NextCursor);
        var second = await Server.Admin.GetJsonAsync<Page<AuditLogEntry>>(Routes.Audit(product) + "?limit=2&cursor=" + Uri.EscapeDataString(first.NextCursor!));
        Assert.Equal(["S1", "S0"], second.Items.Select(i => i.Target));
        var last = await Server.Admin.GetJsonAsync<Page<AuditLogEntry>>(Routes.Audit(product) + "?limit=2&cursor=" + Uri.EscapeDataString(second.NextCursor!));
        Assert.Equal(["product.create"], last.Items.Select(i => i.Action));
        Assert.Null(last.NextCursor);

        foreach (var (query, field) in new[] { ("limit=0", "limit"), ("limit=501", "limit"), ("limit=x", "limit"), ("cursor=12", "cursor"), ("cursor=%21%21", "cursor") })
        {
            var body = await (await Server.Admin.GetAsync(Routes.Audit(product) + "?" + query)).ExpectAsync(400);
            Assert.Contains(field, JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        }
        // product.create and the four secret.put entries: all on one page up to 500, and the default (50).
        Assert.Equal(5, (await Server.Admin.GetJsonAsync<Page<AuditLogEntry>>(Routes.Audit(product) + "?limit=500")).Items.Count);
        Assert.Equal(5, (await Server.Admin.GetJsonAsync<Page<AuditLogEntry>>(Routes.Audit(product))).Items.Count);
    }

    [Fact]
    public async Task A_product_key_reads_its_own_products_log_only()
    {
        var mine = (await Server.CreateProductAsync()).Tag!;
        var other = (await Server.CreateProductAsync()).Tag!;
        using var client = Server.Client((await CreateKeyAsync(mine)).Key!);
        await (await client.GetAsync(Routes.Audit(mine))).ExpectAsync(200);
        await (await client.GetAsync(Routes.Audit(other))).ExpectAsync(404);
        await (await Server.Anonymous.GetAsync(Routes.Audit(mine))).ExpectAsync(401);
        await (await Server.Admin.GetAsync(Routes.Audit("no-such-product"))).ExpectAsync(404);
        // The other product's log holds nothing of this one.
        var log = await Server.Admin.GetJsonAsync<Page<AuditLogEntry>>(Routes.Audit(other));
        Assert.All(log.Items, i => Assert.NotEqual(mine, i.Target));
    }

    private async Task<ProductKey> CreateKeyAsync(string product)
    {
        var response = await Server.Admin.PostAsync(Routes.Keys(product), null);
        await response.ExpectAsync(201);
        return await response.ReadAsync<ProductKey>();
    }
}
