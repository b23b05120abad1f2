using System.Text.Json;

namespace Metronome.Contracts;

/// <summary>A product: the owner of events, jobs, secrets and keys.</summary>
public sealed class Product
{
    public string? Tag { get; set; }
    public string? Name { get; set; }
    public string? Description { get; set; }
    /// <summary>
    /// Attempts of this product executing at once on one node (1–10,000); attempts beyond it wait their turn. Null: the
    /// server's default (<c>METRONOME_PRODUCT_MAX_CONCURRENCY</c>). Set by the admin.
    /// </summary>
    public int? MaxConcurrency { get; set; }
    public DateTimeOffset? CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
}

public sealed class ProductUpdate
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    /// <summary>New cap of attempts executing at once on one node (1–10,000); null or absent leaves it unchanged.</summary>
    public int? MaxConcurrency { get; set; }
}

/// <summary>A product key, shown once when created.</summary>
public sealed class ProductKey
{
    public string? Id { get; set; }
    public string? Key { get; set; }
}

public sealed class SecretValue
{
    public string? Value { get; set; }
}

/// <summary>An event of a product: what a job executes.</summary>
public sealed class ProductEvent
{
    public string? Type { get; set; }
    public string? Tag { get; set; }
    public string? Name { get; set; }
    public JsonElement? Definition { get; set; }
    public DateTimeOffset? CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
}

public sealed class ProductEventUpdate
{
    public string? Name { get; set; }
    public JsonElement? Definition { get; set; }
}
