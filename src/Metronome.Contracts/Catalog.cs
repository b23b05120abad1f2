using System.Text.Json;

namespace Metronome.Contracts;

/// <summary>A product: the owner of events, jobs, secrets and keys.</summary>
public sealed class Product
{
    public string? Tag { get; set; }
    public string? Name { get; set; }
    public string? Description { get; set; }
    public DateTimeOffset? CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
}

public sealed class ProductUpdate
{
    public string? Name { get; set; }
    public string? Description { get; set; }
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
