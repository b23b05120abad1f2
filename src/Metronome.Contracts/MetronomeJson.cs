using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metronome.Contracts;

/// <summary>The one JSON shape of the wire: snake_case, field names matched exactly, unknown fields rejected, nulls omitted.</summary>
public static class MetronomeJson
{
    /// <summary>Options used by the server, the SDK and the CLI alike.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            // The web defaults match names case-insensitively; the contract is snake_case exactly ("Name" is unknown).
            PropertyNameCaseInsensitive = false,
            DictionaryKeyPolicy = null,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.Strict,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
