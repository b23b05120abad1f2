using Metronome.Core.Catalog;
using Metronome.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary>
/// Authenticates every <c>/api</c> call with <c>Authorization: Bearer &lt;key&gt;</c>: the admin key reaches everything;
/// a product key reaches only its product (another product answers 404, as if it did not exist) and no admin-only call (403).
/// </summary>
internal sealed class ApiKeyFilter(AdminKey adminKey, CatalogService catalog) : IEndpointFilter
{
    private const string Scheme = "Bearer ";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var caller = await AuthenticateAsync(http);
        if (caller is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "A valid key is required: Authorization: Bearer <key>.");
        }
        caller.Set(http);
        if (!caller.IsAdmin && http.GetEndpoint()?.Metadata.GetMetadata<AdminOnlyMetadata>() is not null)
            return Problem(StatusCodes.Status403Forbidden, "Forbidden", "This call needs the admin key.");
        if (http.Request.RouteValues["product"] is string product && !caller.CanAccess(product))
            return Problem(StatusCodes.Status404NotFound, "Not Found", $"product '{product}' not found");
        return await next(context);
    }

    private async Task<CallerContext?> AuthenticateAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)) return null;
        var key = header[Scheme.Length..].Trim();
        if (key.Length == 0) return null;
        if (adminKey.Matches(key)) return CallerContext.Admin;
        var product = await catalog.ResolveKeyAsync(key, http.RequestAborted);
        return product is null ? null : CallerContext.ForProduct(product);
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);
}
