using Metronome.Contracts;
using Metronome.Core.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary><c>/api/products/{product}/keys</c>: product keys, shown once when created (admin only).</summary>
internal static class KeysEndpoints
{
    public static void MapKeys(this RouteGroupBuilder api)
    {
        api.MapPost("/products/{product}/keys", CreateKeyAsync).AdminOnly().WithTags("Keys").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create a product key").WithDescription("The key is shown in this answer only; it is stored hashed.");
    }

    private static async Task<Created<ProductKey>> CreateKeyAsync(string product, CatalogService catalog, CancellationToken ct)
    {
        var key = await catalog.CreateKeyAsync(product, ct);
        return TypedResults.Created((string?)null, key);
    }
}
