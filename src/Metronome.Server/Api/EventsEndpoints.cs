using Metronome.Contracts;
using Metronome.Core.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary><c>/api/products/{product}/events</c>: what jobs execute, addressed by type and tag.</summary>
internal static class EventsEndpoints
{
    public static void MapEvents(this RouteGroupBuilder api)
    {
        var events = api.MapGroup("/products/{product}/events").WithTags("Events");
        events.MapPost("/", CreateAsync).Accepts<ProductEvent>("application/json");
        events.MapGet("/", ListAsync);
        events.MapGet("/{type}/{tag}", GetAsync);
        events.MapPatch("/{type}/{tag}", UpdateAsync).Accepts<ProductEventUpdate>("application/json", "application/merge-patch+json");
        events.MapDelete("/{type}/{tag}", DeleteAsync);
    }

    private static async Task<Created<ProductEvent>> CreateAsync(string product, HttpRequest request, CatalogService catalog, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<ProductEvent>(request, ct);
        var created = await catalog.CreateEventAsync(product, body, ct);
        return TypedResults.Created(Routes.Event(product, created.Type, created.Tag), created.ToContract());
    }

    private static async Task<Ok<Page<ProductEvent>>> ListAsync(string product, string? type, CatalogService catalog, CancellationToken ct)
    {
        var events = await catalog.ListEventsAsync(product, type, ct);
        return TypedResults.Ok(new Page<ProductEvent> { Items = [.. events.Select(e => e.ToContract())] });
    }

    private static async Task<Ok<ProductEvent>> GetAsync(string product, string type, string tag, CatalogService catalog, CancellationToken ct) =>
        TypedResults.Ok((await catalog.GetEventAsync(product, type, tag, ct)).ToContract());

    private static async Task<Ok<ProductEvent>> UpdateAsync(string product, string type, string tag, HttpRequest request, CatalogService catalog, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<ProductEventUpdate>(request, ct);
        return TypedResults.Ok((await catalog.UpdateEventAsync(product, type, tag, body, ct)).ToContract());
    }

    private static async Task<NoContent> DeleteAsync(string product, string type, string tag, string? force, CatalogService catalog, CancellationToken ct)
    {
        await catalog.DeleteEventAsync(product, type, tag, JsonBody.QueryBool(force, "force"), ct);
        return TypedResults.NoContent();
    }
}
