using Metronome.Contracts;
using Metronome.Core.Catalog;
using Metronome.Server.OpenApi;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary>
/// <c>/api/products/{product}/secrets</c>: values are write-only (stored encrypted, never returned); the list names the
/// secrets with when each was last set.
/// </summary>
internal static class SecretsEndpoints
{
    public static void MapSecrets(this RouteGroupBuilder api)
    {
        api.MapPut("/products/{product}/secrets/{name}", PutSecretAsync).WithTags("Secrets").Accepts<SecretValue>("application/json")
            .WithSummary("Set a secret").WithDescription("Stored encrypted; the value is never returned.");
        api.MapGet("/products/{product}/secrets", ListSecretsAsync).WithTags("Secrets").WithName("listSecrets")
            .WithSummary("List the product's secret names").WithDescription("Names and when each was set; never a value.");
        api.MapDelete("/products/{product}/secrets/{name}", DeleteSecretAsync).WithTags("Secrets").WithName("deleteSecret")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Delete a secret").WithDescription("409 naming the events that use it, unless force=true (their executions then fail on the missing secret).")
            .QueryBoolean("force", "Delete even while events use the secret.");
    }

    private static async Task<NoContent> DeleteSecretAsync(string product, string name, string? force, CatalogService catalog, CancellationToken ct)
    {
        await catalog.DeleteSecretAsync(product, name, JsonBody.QueryBool(force, "force"), ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<IReadOnlyList<SecretInfo>>> ListSecretsAsync(string product, CatalogService catalog, CancellationToken ct)
    {
        var secrets = await catalog.ListSecretsAsync(product, ct);
        return TypedResults.Ok<IReadOnlyList<SecretInfo>>([.. secrets.Select(s => new SecretInfo { Name = s.Name, UpdatedAt = s.UpdatedAt })]);
    }

    private static async Task<NoContent> PutSecretAsync(string product, string name, HttpRequest request, CatalogService catalog, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<SecretValue>(request, ct);
        await catalog.PutSecretAsync(product, name, body, ct);
        return TypedResults.NoContent();
    }
}
