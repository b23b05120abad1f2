using System.Text.Json;
using Metronome.Core;

namespace Metronome.Events.Http;

/// <summary>
/// The definition of an <c>action</c> event: an <see cref="HttpRequestSpec"/> plus <c>success_status</c>
/// (an integer or an array of integers; absent means any 2xx).
/// </summary>
internal sealed record HttpActionDefinition(HttpRequestSpec Request, IReadOnlySet<int>? SuccessStatus)
{
    /// <summary>Reads (and checks) a definition; see <see cref="HttpRequestSpec.Read"/> for <paramref name="beforeRendering"/>.</summary>
    public static HttpActionDefinition? Read(JsonElement definition, ValidationErrors errors, bool beforeRendering)
    {
        var request = HttpRequestSpec.Read(definition, errors, beforeRendering);
        if (definition.ValueKind != JsonValueKind.Object) return null;
        var ok = TryReadSuccessStatus(definition, errors, out var success);
        return request is not null && ok ? new HttpActionDefinition(request, success) : null;
    }

    public bool IsSuccess(int status) => SuccessStatus is { } expected ? expected.Contains(status) : status is >= 200 and < 300;

    private static bool TryReadSuccessStatus(JsonElement definition, ValidationErrors errors, out IReadOnlySet<int>? success)
    {
        success = null;
        if (DefinitionReader.Optional(definition, "success_status") is not { } value) return true;
        var codes = new HashSet<int>();
        var items = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];
        foreach (var item in items)
        {
            if (item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var code) && code is >= 100 and <= 599) codes.Add(code);
            else
            {
                errors.Add(DefinitionReader.Field("success_status"), "Must be a status code (100-599) or an array of them.");
                return false;
            }
        }
        if (codes.Count == 0)
        {
            errors.Add(DefinitionReader.Field("success_status"), "Must list at least one status code.");
            return false;
        }
        success = codes;
        return true;
    }
}
