namespace Metronome.Core.Events;

/// <summary>An event of a product: what a job executes. <see cref="DefinitionJson"/> is the type-specific definition.</summary>
public sealed record EventRecord
{
    public required string Product { get; init; }
    public required string Type { get; init; }
    public required string Tag { get; init; }
    public required string Name { get; init; }
    public required string DefinitionJson { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}
