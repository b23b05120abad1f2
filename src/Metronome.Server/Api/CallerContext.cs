namespace Metronome.Server.Api;

/// <summary>Who is calling: the admin, or the holder of one product's key.</summary>
internal sealed record CallerContext(bool IsAdmin, string? Product)
{
    public static CallerContext Admin { get; } = new(true, null);

    public static CallerContext ForProduct(string product) => new(false, product);

    /// <summary>Whether the caller may see resources of <paramref name="product"/>.</summary>
    public bool CanAccess(string product) => IsAdmin || string.Equals(Product, product, StringComparison.Ordinal);

    public static CallerContext? Get(HttpContext context) => context.Items[typeof(CallerContext)] as CallerContext;

    public void Set(HttpContext context) => context.Items[typeof(CallerContext)] = this;
}

/// <summary>Marks an endpoint that only the admin key may call (others get 403).</summary>
internal sealed class AdminOnlyMetadata
{
    public static AdminOnlyMetadata Instance { get; } = new();
}

internal static class AdminOnlyExtensions
{
    public static RouteHandlerBuilder AdminOnly(this RouteHandlerBuilder builder) => builder.WithMetadata(AdminOnlyMetadata.Instance);
}
