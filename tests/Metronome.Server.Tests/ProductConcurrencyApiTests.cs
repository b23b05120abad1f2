using System.Text.Json;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

/// <summary>A product's <c>max_concurrency</c> (docs/security/fairness.md): set by the admin, validated, returned.</summary>
public sealed class ProductConcurrencyApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Admin_sets_max_concurrency_on_create_and_patch_and_reads_it_back()
    {
        var tag = TestApi.Unique("p");
        var created = await (await Server.Admin.PostAsync(Routes.Products, TestApi.Raw($$"""{"tag":"{{tag}}","name":"Noisy","max_concurrency":16}""")))
            .ExpectAsync(201);
        Assert.Equal(16, JsonDocument.Parse(created).RootElement.GetProperty("max_concurrency").GetInt32());

        var patched = await (await Server.Admin.PatchAsync(Routes.Product(tag), TestApi.Raw("""{"max_concurrency":3}"""))).ExpectAsync(200);
        Assert.Equal(3, JsonDocument.Parse(patched).RootElement.GetProperty("max_concurrency").GetInt32());
        await (await Server.Admin.PatchAsync(Routes.Product(tag), TestApi.Raw("""{"name":"Renamed"}"""))).ExpectAsync(200); // absent: unchanged

        Assert.Equal(3, (await Server.Admin.GetJsonAsync<Product>(Routes.Product(tag))).MaxConcurrency);
        var listed = await Server.Admin.GetJsonAsync<Page<Product>>(Routes.Products);
        Assert.Equal(3, listed.Items!.Single(p => p.Tag == tag).MaxConcurrency);
    }

    [Fact]
    public async Task A_product_without_max_concurrency_answers_null_the_server_default()
    {
        var product = await Server.CreateProductAsync();
        var json = await (await Server.Admin.GetAsync(Routes.Product(product.Tag!))).ExpectAsync(200);
        var root = JsonDocument.Parse(json).RootElement;
        Assert.True(!root.TryGetProperty("max_concurrency", out var value) || value.ValueKind == JsonValueKind.Null);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("10001")]
    [InlineData("\"8\"")]
    [InlineData("1.5")]
    public async Task Invalid_max_concurrency_answers_400_naming_it(string value)
    {
        var create = await (await Server.Admin.PostAsync(Routes.Products,
            TestApi.Raw($$"""{"tag":"{{TestApi.Unique("p")}}","name":"P","max_concurrency":{{value}}}"""))).ExpectAsync(400);
        Assert.Contains("max_concurrency", Errors(create).Keys);

        var product = await Server.CreateProductAsync();
        var patch = await (await Server.Admin.PatchAsync(Routes.Product(product.Tag!), TestApi.Raw($$"""{"max_concurrency":{{value}}}"""))).ExpectAsync(400);
        Assert.Contains("max_concurrency", Errors(patch).Keys);
    }

    [Fact]
    public async Task A_product_key_cannot_change_its_own_max_concurrency()
    {
        var product = await Server.CreateProductAsync();
        using var client = Server.Client(await Server.CreateKeyAsync(product.Tag!));

        await (await client.PatchAsync(Routes.Product(product.Tag!), TestApi.Raw("""{"max_concurrency":10000}"""))).ExpectAsync(403);

        Assert.Null((await Server.Admin.GetJsonAsync<Product>(Routes.Product(product.Tag!))).MaxConcurrency);
        Assert.Null((await client.GetJsonAsync<Product>(Routes.Product(product.Tag!))).MaxConcurrency); // it may read it
    }

    private static Dictionary<string, string[]> Errors(string problemJson)
    {
        using var doc = JsonDocument.Parse(problemJson);
        return doc.RootElement.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
    }
}
