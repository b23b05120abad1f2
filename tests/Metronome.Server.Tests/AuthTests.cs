using System.Net.Http.Headers;
using Metronome.Contracts;
using Metronome.Server.Tests.Infrastructure;

namespace Metronome.Server.Tests;

public sealed class AuthTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Api_call_without_a_key_answers_401_problem()
    {
        var response = await Server.Anonymous.GetAsync(Routes.Products);
        await response.ExpectAsync(401);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("Bearer wrong-key")]
    [InlineData("Bearer mk_not-a-real-key")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    [InlineData("test-admin-key-0123456789abcdef")]
    public async Task Api_call_with_a_wrong_key_answers_401(string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Routes.Products);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        var response = await Server.Anonymous.SendAsync(request);
        await response.ExpectAsync(401);
    }

    [Fact]
    public async Task Product_key_reaches_its_own_product()
    {
        var product = await Server.CreateProductAsync();
        using var client = Server.Client(await Server.CreateKeyAsync(product.Tag!));
        var read = await client.GetJsonAsync<Product>(Routes.Product(product.Tag!));
        Assert.Equal(product.Tag, read.Tag);
        var event_ = await client.CreateActionEventAsync(product.Tag!, fixture.Target.Url);
        await client.CreateJobAsync(product.Tag!, TestApi.Job(event_.Tag!));
        var jobs = await client.GetJsonAsync<Page<ProductJob>>(Routes.Jobs(product.Tag!));
        Assert.Single(jobs.Items);
    }

    [Fact]
    public async Task Product_key_sees_another_products_resources_as_404()
    {
        var mine = await Server.CreateProductAsync();
        var other = await Server.CreateProductAsync();
        var otherEvent = await Server.Admin.CreateActionEventAsync(other.Tag!, fixture.Target.Url);
        var otherJob = await Server.Admin.CreateJobAsync(other.Tag!, TestApi.Job(otherEvent.Tag!));
        using var client = Server.Client(await Server.CreateKeyAsync(mine.Tag!));

        await (await client.GetAsync(Routes.Product(other.Tag!))).ExpectAsync(404);
        await (await client.GetAsync(Routes.Jobs(other.Tag!))).ExpectAsync(404);
        await (await client.GetAsync(Routes.Job(other.Tag!, otherJob.Tag!))).ExpectAsync(404);
        await (await client.PostAsync(Routes.Job(other.Tag!, otherJob.Tag!) + "/trigger", null)).ExpectAsync(404);
        await (await client.DeleteAsync(Routes.Job(other.Tag!, otherJob.Tag!))).ExpectAsync(404);
        await (await client.GetAsync(Routes.Event(other.Tag!, "action", otherEvent.Tag!))).ExpectAsync(404);
        await (await client.PutAsync(Routes.Secret(other.Tag!, "X"), TestApi.Json(new SecretValue { Value = "v" }))).ExpectAsync(404);
        await (await client.GetAsync(Routes.Run(other.Tag!, "0190abcd"))).ExpectAsync(404);
        // The job is untouched.
        await (await Server.Admin.GetAsync(Routes.Job(other.Tag!, otherJob.Tag!))).ExpectAsync(200);
    }

    [Fact]
    public async Task Product_key_gets_403_on_admin_only_calls()
    {
        var product = await Server.CreateProductAsync();
        using var client = Server.Client(await Server.CreateKeyAsync(product.Tag!));

        await (await client.PostAsync(Routes.Products, TestApi.Json(new Product { Tag = TestApi.Unique("x"), Name = "X" }))).ExpectAsync(403);
        await (await client.GetAsync(Routes.Products)).ExpectAsync(403);
        await (await client.PatchAsync(Routes.Product(product.Tag!), TestApi.Json(new ProductUpdate { Name = "New" }))).ExpectAsync(403);
        await (await client.DeleteAsync(Routes.Product(product.Tag!))).ExpectAsync(403);
        var forbidden = await client.PostAsync(Routes.Keys(product.Tag!), null);
        await forbidden.ExpectAsync(403);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Product_key_on_an_admin_only_call_for_another_product_answers_403_and_elsewhere_404_problem()
    {
        var mine = await Server.CreateProductAsync();
        var other = await Server.CreateProductAsync();
        using var client = Server.Client(await Server.CreateKeyAsync(mine.Tag!));

        await (await client.DeleteAsync(Routes.Product(other.Tag!))).ExpectAsync(403);
        await (await client.PostAsync(Routes.Keys(other.Tag!), null)).ExpectAsync(403);
        var hidden = await client.GetAsync(Routes.Product(other.Tag!));
        await hidden.ExpectAsync(404);
        Assert.Equal("application/problem+json", hidden.Content.Headers.ContentType?.MediaType);
        await (await Server.Admin.GetAsync(Routes.Product(other.Tag!))).ExpectAsync(200);
    }

    [Fact]
    public async Task Products_are_created_listed_read_updated_and_deleted_by_the_admin()
    {
        var tag = TestApi.Unique("crud");
        var created = await Server.Admin.PostAsync(Routes.Products, TestApi.Json(new Product { Tag = tag, Name = "Shop", Description = "d" }));
        await created.ExpectAsync(201);
        Assert.Equal($"/api/products/{tag}", created.Headers.Location?.OriginalString);

        var list = await Server.Admin.GetJsonAsync<Page<Product>>(Routes.Products);
        Assert.Contains(list.Items, p => p.Tag == tag);

        var patched = await Server.Admin.PatchAsync(Routes.Product(tag), TestApi.Json(new ProductUpdate { Name = "Shop 2" }));
        await patched.ExpectAsync(200);
        var read = await Server.Admin.GetJsonAsync<Product>(Routes.Product(tag));
        Assert.Equal("Shop 2", read.Name);
        Assert.Equal("d", read.Description);

        await (await Server.Admin.PostAsync(Routes.Products, TestApi.Json(new Product { Tag = tag, Name = "Again" }))).ExpectAsync(409);
        await (await Server.Admin.DeleteAsync(Routes.Product(tag))).ExpectAsync(204);
        await (await Server.Admin.GetAsync(Routes.Product(tag))).ExpectAsync(404);
        await (await Server.Admin.DeleteAsync(Routes.Product(tag))).ExpectAsync(404);
    }

    [Fact]
    public async Task Key_is_shown_once_and_works_until_its_product_is_deleted()
    {
        var product = await Server.CreateProductAsync();
        var response = await Server.Admin.PostAsync(Routes.Keys(product.Tag!), null);
        await response.ExpectAsync(201);
        var key = await response.ReadAsync<ProductKey>();
        Assert.False(string.IsNullOrEmpty(key.Id));
        Assert.StartsWith("mk_", key.Key);

        using var client = Server.Client(key.Key!);
        await (await client.GetAsync(Routes.Product(product.Tag!))).ExpectAsync(200);
        await (await Server.Admin.DeleteAsync(Routes.Product(product.Tag!))).ExpectAsync(204);
        await (await client.GetAsync(Routes.Product(product.Tag!))).ExpectAsync(401);
    }

    [Fact]
    public async Task Keys_for_a_missing_product_answer_404()
    {
        await (await Server.Admin.PostAsync(Routes.Keys("no-such-product"), null)).ExpectAsync(404);
    }

    [Fact]
    public async Task Bearer_scheme_is_case_insensitive()
    {
        using var client = new HttpClient { BaseAddress = Server.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("bearer", TestServer.AdminKeyValue);
        await (await client.GetAsync(Routes.Products)).ExpectAsync(200);
    }
}
