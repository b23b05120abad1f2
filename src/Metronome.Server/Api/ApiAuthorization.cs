using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Metronome.Server.Api.Sessions;

namespace Metronome.Server.Api;

/// <summary>
/// Who may call what under <c>/api</c>, as ASP.NET Core authorization over the <see cref="ApiKeyHandler"/> scheme:
/// <list type="bullet">
/// <item>no valid key: 401 (the scheme's challenge);</item>
/// <item>an admin-only call (<see cref="AdminOnly"/>) with a product key: 403 (the scheme's forbid);</item>
/// <item>another product's resources (<c>{product}</c> in the route) with a product key: 404, as if they did not exist;</item>
/// <item>an unsafe method (POST, PUT, PATCH, DELETE) authenticated by the session cookie without <c>X-Metronome-Csrf: 1</c>: 403.</item>
/// </list>
/// Both policies name the <c>ApiKey</c> scheme, so the API answers the same whatever scheme is the default; a cookie
/// scheme for the dashboard (issue 13) is added beside it without touching an endpoint (docs/security/server.md).
/// </summary>
internal static class ApiAuthorization
{
    /// <summary>Any valid key; a product key only for its own product. Every <c>/api</c> endpoint requires it.</summary>
    public const string CallerPolicy = "api-caller";

    /// <summary>The admin key only.</summary>
    public const string AdminPolicy = "api-admin";

    public static IServiceCollection AddApiKeyAuthorization(this IServiceCollection services)
    {
        // No default authenticate scheme: a key is looked up only where a policy asks for it (the /api endpoints).
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, configureOptions: null);
        services.AddAuthorizationBuilder()
            .AddPolicy(CallerPolicy, p => p.AddAuthenticationSchemes(ApiKeyHandler.SchemeName).RequireAuthenticatedUser()
                .AddRequirements(ProductAccessRequirement.Instance, SessionCsrfRequirement.Instance))
            .AddPolicy(AdminPolicy, p => p.AddAuthenticationSchemes(ApiKeyHandler.SchemeName).RequireRole(ApiCaller.AdminRole));
        services.AddSingleton<IAuthorizationHandler, ProductAccessHandler>();
        services.AddSingleton<IAuthorizationHandler, SessionCsrfHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProductNotFoundResultHandler>();
        return services;
    }

    /// <summary>Marks an endpoint that only the admin key may call (a product key gets 403).</summary>
    public static RouteHandlerBuilder AdminOnly(this RouteHandlerBuilder builder) => builder.RequireAuthorization(AdminPolicy);
}

/// <summary>The route's <c>{product}</c>, when it has one, is the caller's own (or the caller is the admin).</summary>
internal sealed class ProductAccessRequirement : IAuthorizationRequirement
{
    public static ProductAccessRequirement Instance { get; } = new();
}

internal sealed class ProductAccessHandler : AuthorizationHandler<ProductAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ProductAccessRequirement requirement)
    {
        if (context.Resource is HttpContext http
            && (http.Request.RouteValues["product"] is not string product || ApiCaller.CanAccess(context.User, product)))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>A caller authenticated by the session cookie carries the CSRF header on an unsafe method.</summary>
internal sealed class SessionCsrfRequirement : IAuthorizationRequirement
{
    public static SessionCsrfRequirement Instance { get; } = new();
}

internal sealed class SessionCsrfHandler : AuthorizationHandler<SessionCsrfRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, SessionCsrfRequirement requirement)
    {
        if (context.Resource is HttpContext http
            && (!context.User.HasClaim(c => c.Type == ApiCaller.SessionClaim) || SessionCsrf.IsSafe(http.Request.Method) || SessionCsrf.HasHeader(http.Request)))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Answers 404 instead of 403 when the only thing a known key lacks is access to the route's product, so that a product
/// key cannot tell another product's resources from missing ones. A call that is also admin-only stays 403.
/// </summary>
internal sealed class ProductNotFoundResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailedRequirements is { } csrf && csrf.Any(r => r is SessionCsrfRequirement))
            return SessionCsrf.Problem().ExecuteAsync(context);
        if (authorizeResult.Forbidden
            && authorizeResult.AuthorizationFailure?.FailedRequirements is { } failed
            && failed.Any() && failed.All(r => r is ProductAccessRequirement))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found",
                detail: $"product '{context.Request.RouteValues["product"]}' not found").ExecuteAsync(context);
        }
        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
