using System.Text.Json;
using Metronome.Contracts;
using Metronome.Core.Events;

namespace Metronome.Core.Catalog;

/// <summary>Catalogue domain → wire, for the REST API and the embedded <c>IMetronome</c> alike (jobs and runs: <see cref="Jobs.JobMapping"/>).</summary>
public static class CatalogMapping
{
    public static Product ToContract(this ProductRecord p) => new()
    {
        Tag = p.Tag,
        Name = p.Name,
        Description = p.Description,
        MaxConcurrency = p.MaxConcurrency,
        CreatedAt = p.CreatedAt,
        UpdatedAt = p.UpdatedAt,
    };

    public static ProductEvent ToContract(this EventRecord e) => new()
    {
        Type = e.Type,
        Tag = e.Tag,
        Name = e.Name,
        Definition = ParseDefinition(e.DefinitionJson),
        CreatedAt = e.CreatedAt,
        UpdatedAt = e.UpdatedAt,
    };

    private static JsonElement ParseDefinition(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
