using Metronome.Contracts;
using Metronome.Core.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary><c>/api/products/{product}/secrets/{name}</c>: write-only; values are stored encrypted and never returned.</summary>
internal static class SecretsEndpoints
{
    public static void MapSecrets(this RouteGroupBuilder api)
    {
        api.MapPut("/products/{product}/secrets/{name}", PutSecretAsync).WithTags("Secrets").Accepts<SecretValue>("application/json")
            .WithSummary("Set a secret").WithDescription("Stored encrypted; the value is never returned.");
    }

    private static async Task<NoContent> PutSecretAsync(string product, string name, HttpRequest request, CatalogService catalog, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<SecretValue>(request, ct);
        await catalog.PutSecretAsync(product, name, body, ct);
        return TypedResults.NoContent();
    }
}
