using Metronome.Contracts;
using Metronome.Core.Audit;
using Metronome.Server.OpenApi;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metronome.Server.Api;

/// <summary><c>/api/products/{product}/audit</c>: the product's audit log, newest first (admin or the product's key).</summary>
internal static class AuditEndpoints
{
    public static void MapAudit(this RouteGroupBuilder api)
    {
        api.MapGet("/products/{product}/audit", ListAuditAsync).WithTags("Audit").WithName("listAudit")
            .WithPageLimits(AuditLogService.MaxLimit, AuditLogService.DefaultLimit)
            .WithSummary("List the product's audit log, newest first")
            .WithDescription("Who (admin, engine or a key id) changed what, with the fields that changed; secret values never appear. " +
                             "limit 1-500 (default 50); cursor is the previous page's next_cursor.");
    }

    private static async Task<Ok<Page<AuditLogEntry>>> ListAuditAsync(
        string product, string? limit, string? cursor, AuditLogService audit, CancellationToken ct)
    {
        var page = await audit.ListAsync(product, JsonBody.QueryInt(limit, "limit"), cursor, ct);
        return TypedResults.Ok(new Page<AuditLogEntry> { Items = [.. page.Items.Select(AuditMapping.ToContract)], NextCursor = page.NextCursor });
    }
}
