using Metronome.Contracts;
using Metronome.Core.Catalog;
using Metronome.Server.OpenApi;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary><c>/api/products/{product}/events</c>: what jobs execute, addressed by type and tag.</summary>
internal static class EventsEndpoints
{
    public static void MapEvents(this RouteGroupBuilder api)
    {
        var events = api.MapGroup("/products/{product}/events").WithTags("Events");
        events.MapPost("/", CreateEventAsync).Accepts<ProductEvent>("application/json").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create an event").WithDescription("409 when the product already has an event of this type and tag.");
        events.MapGet("/", ListEventsAsync).WithSummary("List events").QueryEnum("type", WireSchemas.EventType, "Only events of this type.");
        events.MapGet("/{type}/{tag}", GetEventAsync).WithSummary("Get an event");
        events.MapPatch("/{type}/{tag}", UpdateEventAsync).Accepts<ProductEventUpdate>("application/json", "application/merge-patch+json")
            .WithSummary("Update an event");
        events.MapDelete("/{type}/{tag}", DeleteEventAsync).ProducesProblem(StatusCodes.Status409Conflict).WithSummary("Delete an event")
            .WithDescription("409 while jobs use the event, unless force=true, which pauses those jobs.")
            .QueryBoolean("force", "Delete even while jobs use the event, pausing them.");
    }

    private static async Task<Created<ProductEvent>> CreateEventAsync(string product, HttpRequest request, CatalogService catalog, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<ProductEvent>(request, ct);
        var created = await catalog.CreateEventAsync(product, body, ct);
        return TypedResults.Created(Routes.Event(product, created.Type, created.Tag), created.ToContract());
    }

    private static async Task<Ok<Page<ProductEvent>>> ListEventsAsync(string product, string? type, CatalogService catalog, CancellationToken ct)
    {
        var events = await catalog.ListEventsAsync(product, type, ct);
        return TypedResults.Ok(new Page<ProductEvent> { Items = [.. events.Select(e => e.ToContract())] });
    }

    private static async Task<Ok<ProductEvent>> GetEventAsync(string product, string type, string tag, CatalogService catalog, CancellationToken ct) =>
        TypedResults.Ok((await catalog.GetEventAsync(product, type, tag, ct)).ToContract());

    private static async Task<Ok<ProductEvent>> UpdateEventAsync(string product, string type, string tag, HttpRequest request, CatalogService catalog, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<ProductEventUpdate>(request, ct);
        return TypedResults.Ok((await catalog.UpdateEventAsync(product, type, tag, body, ct)).ToContract());
    }

    private static async Task<NoContent> DeleteEventAsync(string product, string type, string tag, string? force, CatalogService catalog, CancellationToken ct)
    {
        await catalog.DeleteEventAsync(product, type, tag, JsonBody.QueryBool(force, "force"), ct);
        return TypedResults.NoContent();
    }
}
