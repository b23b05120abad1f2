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
        products.MapPost("/", CreateProductAsync).AdminOnly().Accepts<Product>("application/json").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create a product");
        products.MapGet("/", ListProductsAsync).AdminOnly().WithSummary("List products");
        products.MapGet("/{product}", GetProductAsync).WithSummary("Get a product");
        products.MapPatch("/{product}", UpdateProductAsync).AdminOnly().Accepts<ProductUpdate>("application/json", "application/merge-patch+json")
            .WithSummary("Update a product");
        products.MapDelete("/{product}", DeleteProductAsync).AdminOnly().WithSummary("Delete a product with its events, jobs, keys and secrets");
    }

    private static async Task<Created<Product>> CreateProductAsync(HttpRequest request, CatalogService catalog, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<Product>(request, ct);
        var product = await catalog.CreateProductAsync(body, ct);
        return TypedResults.Created(Routes.Product(product.Tag), product.ToContract());
    }

    private static async Task<Ok<Page<Product>>> ListProductsAsync(CatalogService catalog, CancellationToken ct)
    {
        var products = await catalog.ListProductsAsync(ct);
        return TypedResults.Ok(new Page<Product> { Items = [.. products.Select(p => p.ToContract())] });
    }

    private static async Task<Ok<Product>> GetProductAsync(string product, CatalogService catalog, CancellationToken ct) =>
        TypedResults.Ok((await catalog.GetProductAsync(product, ct)).ToContract());

    private static async Task<Ok<Product>> UpdateProductAsync(string product, HttpRequest request, CatalogService catalog, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<ProductUpdate>(request, ct);
        return TypedResults.Ok((await catalog.UpdateProductAsync(product, body, ct)).ToContract());
    }

    private static async Task<NoContent> DeleteProductAsync(string product, CatalogService catalog, CancellationToken ct)
    {
        await catalog.DeleteProductAsync(product, ct);
        return TypedResults.NoContent();
    }
}
