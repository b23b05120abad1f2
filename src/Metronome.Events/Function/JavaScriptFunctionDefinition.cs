using System.Text.Json;
using Metronome.Core;

namespace Metronome.Events.Function;

/// <summary>
/// A <c>function</c> in JavaScript: <c>code</c> defining <c>handler(input, context)</c>, <c>timeout_ms</c>
/// (default 1000, at most 60000) and <c>memory_limit_mb</c> (default 32, at most 512).
/// </summary>
internal sealed record JavaScriptFunctionDefinition(string Code, TimeSpan Timeout, int MemoryLimitMb)
{
    public const int DefaultTimeoutMs = 1000;
    public const int MaxTimeoutMs = 60_000;
    public const int DefaultMemoryLimitMb = 32;
    public const int MaxMemoryLimitMb = 512;

    public static JavaScriptFunctionDefinition? Read(JsonElement definition, ValidationErrors errors)
    {
        var code = DefinitionReader.String(definition, "code", errors, required: true);
        var hasTimeout = DefinitionReader.Optional(definition, "timeout_ms") is not null;
        var timeout = DefinitionReader.Int(definition, "timeout_ms", 1, MaxTimeoutMs, errors);
        var hasMemory = DefinitionReader.Optional(definition, "memory_limit_mb") is not null;
        var memory = DefinitionReader.Int(definition, "memory_limit_mb", 1, MaxMemoryLimitMb, errors);
        if (string.IsNullOrWhiteSpace(code) || (hasTimeout && timeout is null) || (hasMemory && memory is null)) return null;
        return new JavaScriptFunctionDefinition(code, TimeSpan.FromMilliseconds(timeout ?? DefaultTimeoutMs), memory ?? DefaultMemoryLimitMb);
    }
}
