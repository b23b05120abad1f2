using System.Text.Json;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

public sealed class CatalogTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Secret_put_answers_204_and_its_value_is_never_returned()
    {
        var product = await Server.CreateProductAsync();
        var put = await Server.Admin.PutAsync(Routes.Secret(product.Tag!, "BILLING_TOKEN"), TestApi.Json(new SecretValue { Value = "s3cr3t-value" }));
        await put.ExpectAsync(204);
        // Replacing is allowed.
        await (await Server.Admin.PutAsync(Routes.Secret(product.Tag!, "BILLING_TOKEN"), TestApi.Json(new SecretValue { Value = "s3cr3t-2" }))).ExpectAsync(204);

        var readBack = await Server.Admin.GetAsync(Routes.Secret(product.Tag!, "BILLING_TOKEN"));
        Assert.Equal(405, (int)readBack.StatusCode);
        var productJson = await (await Server.Admin.GetAsync(Routes.Product(product.Tag!))).Content.ReadAsStringAsync();
        Assert.DoesNotContain("s3cr3t", productJson);
        foreach (var file in Directory.EnumerateFiles(Server.DataDirectory, "*", SearchOption.AllDirectories))
        {
            if (file.EndsWith("-shm", StringComparison.Ordinal)) continue;
            var bytes = await ReadSharedAsync(file);
            Assert.DoesNotContain("s3cr3t-value", System.Text.Encoding.UTF8.GetString(bytes));
        }
    }

    [Theory]
    [InlineData("1BAD", "name")]
    [InlineData("has-dash", "name")]
    [InlineData("A2345678901234567890123456789012345678901234567890123456789012345", "name")]
    public async Task Secret_with_an_invalid_name_answers_400_naming_it(string name, string field)
    {
        var product = await Server.CreateProductAsync();
        var response = await Server.Admin.PutAsync(Routes.Secret(product.Tag!, name), TestApi.Json(new SecretValue { Value = "v" }));
        var body = await response.ExpectAsync(400);
        Assert.Contains(field, Errors(body));
    }

    [Fact]
    public async Task Secret_without_a_value_answers_400_naming_value()
    {
        var product = await Server.CreateProductAsync();
        var body = await (await Server.Admin.PutAsync(Routes.Secret(product.Tag!, "X"), TestApi.Raw("{}"))).ExpectAsync(400);
        Assert.Contains("value", Errors(body));
    }

    [Fact]
    public async Task Events_are_created_listed_read_updated_and_deleted()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var created = await Server.Admin.CreateActionEventAsync(product, fixture.Target.Url, "ping");
        Assert.Equal("action", created.Type);
        Assert.Equal(fixture.Target.Url.ToString(), created.Definition!.Value.GetProperty("url").GetString());

        var fn = TestApi.Raw("""{"type":"FUNCTION","tag":"sum","name":"Sum","definition":{"language":"javascript","code":"function handler(input, context) { return 1; }"}}""");
        await (await Server.Admin.PostAsync(Routes.Events(product), fn)).ExpectAsync(201);

        var all = await Server.Admin.GetJsonAsync<Page<ProductEvent>>(Routes.Events(product));
        Assert.Equal(2, all.Items.Count);
        var actions = await Server.Admin.GetJsonAsync<Page<ProductEvent>>(Routes.Events(product) + "?type=action");
        Assert.Equal("ping", Assert.Single(actions.Items).Tag);
        await (await Server.Admin.GetAsync(Routes.Events(product) + "?type=bogus")).ExpectAsync(400);

        var patched = await Server.Admin.PatchAsync(Routes.Event(product, "action", "ping"), TestApi.Raw("""{"name":"Ping 2"}"""));
        await patched.ExpectAsync(200);
        var read = await Server.Admin.GetJsonAsync<ProductEvent>(Routes.Event(product, "ACTION", "ping"));
        Assert.Equal("Ping 2", read.Name);

        await (await Server.Admin.PostAsync(Routes.Events(product),
            TestApi.Json(new ProductEvent { Type = "action", Tag = "ping", Name = "dup", Definition = created.Definition }))).ExpectAsync(409);

        await (await Server.Admin.DeleteAsync(Routes.Event(product, "action", "ping"))).ExpectAsync(204);
        await (await Server.Admin.GetAsync(Routes.Event(product, "action", "ping"))).ExpectAsync(404);
        await (await Server.Admin.DeleteAsync(Routes.Event(product, "action", "ping"))).ExpectAsync(404);
    }

    [Theory]
    [InlineData("""{"tag":"e","name":"n","definition":{"url":"http://x/"}}""", "type")]
    [InlineData("""{"type":"carrier-pigeon","tag":"e","name":"n","definition":{"url":"http://x/"}}""", "type")]
    [InlineData("""{"type":"messagebroker","tag":"e","name":"n","definition":{"broker":"redis"}}""", "definition.topic")]
    [InlineData("""{"type":"action","tag":"Bad Tag","name":"n","definition":{"url":"http://x/"}}""", "tag")]
    [InlineData("""{"type":"action","name":"n","definition":{"url":"http://x/"}}""", "tag")]
    [InlineData("""{"type":"action","tag":"e","name":"","definition":{"url":"http://x/"}}""", "name")]
    [InlineData("""{"type":"action","tag":"e","name":"n"}""", "definition")]
    [InlineData("""{"type":"action","tag":"e","name":"n","definition":[1]}""", "definition")]
    [InlineData("""{"type":"action","tag":"e","name":"n","definition":"http://x/"}""", "definition")]
    [InlineData("""{"type":"action","tag":"e","name":"n","definition":{"url":"ftp://x/"}}""", "definition.url")]
    [InlineData("""{"type":"action","tag":"e","name":"n","definition":{"method":"GET"}}""", "definition.url")]
    public async Task Invalid_event_answers_400_naming_the_field(string json, string field)
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var body = await (await Server.Admin.PostAsync(Routes.Events(product), TestApi.Raw(json))).ExpectAsync(400);
        Assert.Contains(field, Errors(body));
    }

    [Fact]
    public async Task Deleting_an_event_used_by_a_job_answers_409_and_force_pauses_the_job()
    {
        var product = (await Server.CreateProductAsync()).Tag!;
        var ev = await Server.Admin.CreateActionEventAsync(product, fixture.Target.Url);
        var job = await Server.Admin.CreateJobAsync(product, TestApi.Job(ev.Tag!));
        Assert.Equal("active", job.Status);

        await (await Server.Admin.DeleteAsync(Routes.Event(product, "action", ev.Tag!))).ExpectAsync(409);
        await (await Server.Admin.DeleteAsync(Routes.Event(product, "action", ev.Tag!) + "?force=maybe")).ExpectAsync(400);
        await (await Server.Admin.DeleteAsync(Routes.Event(product, "action", ev.Tag!) + "?force=true")).ExpectAsync(204);

        var after = await Server.Admin.GetJsonAsync<ProductJob>(Routes.Job(product, job.Tag!));
        Assert.Equal("paused", after.Status);
        await (await Server.Admin.GetAsync(Routes.Event(product, "action", ev.Tag!))).ExpectAsync(404);
    }

    private static Dictionary<string, string[]> Errors(string problemJson)
    {
        using var doc = JsonDocument.Parse(problemJson);
        return doc.RootElement.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
