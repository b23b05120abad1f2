using Metronome.Contracts;
using Metronome.Core.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary>
/// <c>/api/products/{product}/keys</c>: product keys, shown once when created, listed without the key, revoked by id
/// (admin only). A revoked key is refused by every node within a second (the catalogue change feed) and its dashboard
/// sessions end.
/// </summary>
internal static class KeysEndpoints
{
    public static void MapKeys(this RouteGroupBuilder api)
    {
        api.MapPost("/products/{product}/keys", CreateKeyAsync).AdminOnly().WithTags("Keys").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create a product key").WithDescription("The key is shown in this answer only; it is stored hashed.");
        api.MapGet("/products/{product}/keys", ListKeysAsync).AdminOnly().WithTags("Keys").WithName("listKeys")
            .WithSummary("List the product's keys").WithDescription("Ids with when each was created and last used (recorded at most once a minute); never a key.");
        api.MapDelete("/products/{product}/keys/{id}", RevokeKeyAsync).AdminOnly().WithTags("Keys").WithName("revokeKey")
            .WithSummary("Revoke a product key").WithDescription("Every node refuses the key within a second; sessions made with it end.");
    }

    private static async Task<Ok<IReadOnlyList<KeyInfo>>> ListKeysAsync(string product, CatalogService catalog, CancellationToken ct)
    {
        var keys = await catalog.ListKeysAsync(product, ct);
        return TypedResults.Ok<IReadOnlyList<KeyInfo>>([.. keys.Select(k => new KeyInfo { Id = k.Id, CreatedAt = k.CreatedAt, LastUsedAt = k.LastUsedAt })]);
    }

    private static async Task<NoContent> RevokeKeyAsync(string product, string id, CatalogService catalog, CancellationToken ct)
    {
        await catalog.RevokeKeyAsync(product, id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Created<ProductKey>> CreateKeyAsync(string product, CatalogService catalog, CancellationToken ct)
    {
        var key = await catalog.CreateKeyAsync(product, ct);
        return TypedResults.Created((string?)null, key);
    }
}
