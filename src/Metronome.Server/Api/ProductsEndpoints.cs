using Metronome.Contracts;
using Metronome.Core.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary><c>/api/products</c>: products are created, listed, changed and deleted by the admin; a product key may read its own.</summary>
internal static class ProductsEndpoints
{
    public static void MapProducts(this RouteGroupBuilder api)
    {
        var products = api.MapGroup("/products").WithTags("Products");
        products.MapPost("/", CreateAsync).AdminOnly().Accepts<Product>("application/json");
        products.MapGet("/", ListAsync).AdminOnly();
        products.MapGet("/{product}", GetAsync);
        products.MapPatch("/{product}", UpdateAsync).AdminOnly().Accepts<ProductUpdate>("application/json", "application/merge-patch+json");
        products.MapDelete("/{product}", DeleteAsync).AdminOnly();
    }

    private static async Task<Created<Product>> CreateAsync(HttpRequest request, CatalogService catalog, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<Product>(request, ct);
        var product = await catalog.CreateProductAsync(body, ct);
        return TypedResults.Created(Routes.Product(product.Tag), product.ToContract());
    }

    private static async Task<Ok<Page<Product>>> ListAsync(CatalogService catalog, CancellationToken ct)
    {
        var products = await catalog.ListProductsAsync(ct);
        return TypedResults.Ok(new Page<Product> { Items = [.. products.Select(p => p.ToContract())] });
    }

    private static async Task<Ok<Product>> GetAsync(string product, CatalogService catalog, CancellationToken ct) =>
        TypedResults.Ok((await catalog.GetProductAsync(product, ct)).ToContract());

    private static async Task<Ok<Product>> UpdateAsync(string product, HttpRequest request, CatalogService catalog, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<ProductUpdate>(request, ct);
        return TypedResults.Ok((await catalog.UpdateProductAsync(product, body, ct)).ToContract());
    }

    private static async Task<NoContent> DeleteAsync(string product, CatalogService catalog, CancellationToken ct)
    {
        await catalog.DeleteProductAsync(product, ct);
        return TypedResults.NoContent();
    }
}
