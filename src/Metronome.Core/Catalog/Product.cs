namespace Metronome.Core.Catalog;

public sealed record ProductRecord
{
    public required string Tag { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }
    /// <summary>Attempts of this product executing at once on one node; null = the server default.</summary>
    public int? MaxConcurrency { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A product key as stored: only the SHA-256 hash of the key is kept.</summary>
public sealed record ProductKeyRecord(string Id, string Product, string KeyHash, DateTimeOffset CreatedAt);

/// <summary>Bounds of a product's settings.</summary>
internal static class ProductLimits
{
    /// <summary>Largest <c>max_concurrency</c> a product may be given.</summary>
    public const int MaxConcurrency = 10_000;
}
