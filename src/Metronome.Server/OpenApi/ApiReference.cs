using Microsoft.AspNetCore.OpenApi;
using Scalar.AspNetCore;

namespace Metronome.Server.OpenApi;

/// <summary>
/// The API reference: the OpenAPI document at <c>/openapi/v1.json</c> (generated from the endpoints, completed by
/// <see cref="OperationConventions"/>, <see cref="ApiDocument"/> and <see cref="ContractSchemas"/>) and the Scalar UI at
/// <c>/docs</c>, served from the package's embedded assets: nothing is loaded from another origin (fonts, telemetry and
/// the AI agent are off), and the page gets a policy of its own (<see cref="ContentSecurityPolicy"/>).
/// </summary>
internal static class ApiReference
{
    public const string DocsPath = "/docs";
    public const string DocumentPath = "/openapi/v1.json";

    public static IServiceCollection AddApiReference(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        options.AddOperationTransformer<OperationConventions>();
        options.AddOperationTransformer((operation, context, _) =>
        {
            QueryParameters.ApplyPaging(operation, context.Description.ActionDescriptor.EndpointMetadata);
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer<ApiDocument>();
        options.AddDocumentTransformer<ContractSchemas>();
    });

    public static void MapApiReference(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference(DocsPath, options => options
            .WithTitle("Metronome API")
            .WithOpenApiRoutePattern(DocumentPath)
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp()
            .HideDeveloperTools()
            .WithNonce()
            .AddPreferredSecuritySchemes([OperationConventions.SecuritySchemeId]));
    }

    /// <summary>Whether <paramref name="http"/> is a request for the reference page or its assets.</summary>
    public static bool IsDocsRequest(HttpContext http) => http.Request.Path.StartsWithSegments(DocsPath);

    /// <summary>
    /// The policy of the reference page: its scripts only from this origin and by this response's nonce (Scalar's page
    /// and its embedded bundle; no <c>unsafe-inline</c> or <c>unsafe-eval</c> for scripts), the document and "try it"
    /// calls to this origin only, nothing from another origin. Scalar's components inject <c>&lt;style&gt;</c> elements
    /// without a nonce (a stricter style-src leaves the page unstyled), hence <c>'unsafe-inline'</c> for styles on this
    /// page alone; the dashboard's policy is untouched.
    /// </summary>
    public static string ContentSecurityPolicy(HttpContext http)
    {
        var nonce = http.Items[ScalarOptions.NonceHttpContextItemKey] as string;
        var scripts = nonce is null ? "'self'" : $"'self' 'nonce-{nonce}'";
        return $"default-src 'none'; script-src {scripts}; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }
}
