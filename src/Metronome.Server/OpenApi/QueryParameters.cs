using System.Text.Json.Nodes;
using Metronome.Contracts;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Metronome.Server.OpenApi;

/// <summary>
/// Query values are bound as strings and checked by <see cref="Api.JsonBody"/> (so a bad value answers 400 naming the
/// field, not a binder's message); the document still says what they are. <c>limit</c> and <c>cursor</c> are the paging
/// convention of every listing; an endpoint declares its other typed values with <see cref="QueryEnum"/> and
/// <see cref="QueryBoolean"/>.
/// </summary>
internal static class QueryParameters
{
    /// <summary>Types the paging parameters of any operation that has them.</summary>
    public static void ApplyPaging(OpenApiOperation operation, IEnumerable<object> endpointMetadata)
    {
        var limits = endpointMetadata.OfType<PageLimits>().LastOrDefault() ?? PageLimits.Default;
        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            if (parameter.In != ParameterLocation.Query) continue;
            if (parameter.Name == "limit")
            {
                parameter.Description = $"Items per page, 1–{limits.Max}.";
                parameter.Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1",
                    Maximum = limits.Max.ToString(System.Globalization.CultureInfo.InvariantCulture), Default = JsonValue.Create(limits.DefaultLimit),
                };
            }
            else if (parameter.Name == "cursor")
                parameter.Description = "The `next_cursor` of the previous page; absent for the first page.";
        }
    }

    /// <summary>A listing whose page size differs from the convention (1–1000, default 100).</summary>
    public static RouteHandlerBuilder WithPageLimits(this RouteHandlerBuilder builder, int max, int defaultLimit) =>
        builder.WithMetadata(new PageLimits(max, defaultLimit));

    /// <summary>The query value <paramref name="name"/> is one of the enum schema <paramref name="enumId"/> (<see cref="WireSchemas"/>).</summary>
    public static RouteHandlerBuilder QueryEnum(this RouteHandlerBuilder builder, string name, string enumId, string description) =>
        builder.AddOpenApiOperationTransformer((operation, context, _) =>
        {
            var parameter = Find(operation, name);
            parameter.Schema = WireSchemas.Ref(enumId, context.Document!);
            parameter.Description = description;
            return Task.CompletedTask;
        });

    /// <summary>The query value <paramref name="name"/> is <c>true</c> or <c>false</c>.</summary>
    public static RouteHandlerBuilder QueryBoolean(this RouteHandlerBuilder builder, string name, string description) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            var parameter = Find(operation, name);
            parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.Boolean, Default = JsonValue.Create(false) };
            parameter.Description = description;
            return Task.CompletedTask;
        });

    private static OpenApiParameter Find(OpenApiOperation operation, string name) =>
        operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == name && p.In == ParameterLocation.Query)
        ?? throw new InvalidOperationException($"operation {operation.OperationId} has no query parameter '{name}'");
}

/// <summary>The page size bounds of a listing, as endpoint metadata (<see cref="QueryParameters.WithPageLimits"/>).</summary>
internal sealed record PageLimits(int Max, int DefaultLimit)
{
    public static PageLimits Default { get; } = new(Paging.MaxLimit, 100);
}
