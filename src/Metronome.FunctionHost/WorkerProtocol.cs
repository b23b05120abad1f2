using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metronome.FunctionHost;

/// <summary>One attempt handed to a worker. <c>Input</c> and <c>Context</c> are JSON texts, parsed inside the sandbox.</summary>
public sealed record WorkerRequest
{
    public required string Code { get; init; }
    public required string Input { get; init; }
    public required string Context { get; init; }
    public required int TimeoutMs { get; init; }
    public required int MemoryLimitMb { get; init; }
    /// <summary>An output longer than this (UTF-8 bytes) is sent cut to this many characters, with its full size.</summary>
    public required int MaxOutputBytes { get; init; }
}

/// <summary>The worker's answer to one <see cref="WorkerRequest"/>.</summary>
public sealed record WorkerResponse
{
    public bool Succeeded { get; init; }
    /// <summary>The JSON output (null for <c>undefined</c>); a prefix when <see cref="OutputBytes"/> is set.</summary>
    public string? Output { get; init; }
    /// <summary>Set when the output was cut: its full size in UTF-8 bytes.</summary>
    public long? OutputBytes { get; init; }
    public string? ErrorKind { get; init; }
    public string? ErrorMessage { get; init; }
    /// <summary>The worker exits after this answer (memory grew, an allocation failed, the engine did not stop).</summary>
    public bool Exiting { get; init; }
    /// <summary>The worker's first frame, sent once it is warmed up and reads requests; not an answer.</summary>
    public bool Ready { get; init; }
}

/// <summary>
/// Frames of the worker's stdin/stdout: a 4-byte little-endian length, then that many bytes of UTF-8 JSON. The worker
/// writes nothing else to stdout (diagnostics go to stderr).
/// </summary>
public static class WorkerProtocol
{
    /// <summary>Largest frame accepted either way; requests carry code (at most the API's 1 MiB body) and inputs.</summary>
    public const int MaxFrameBytes = 8 * 1024 * 1024;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static async Task WriteAsync<T>(Stream stream, T message, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(message, Json);
        if (body.Length > MaxFrameBytes) throw new InvalidDataException($"A frame of {body.Length} bytes is over the limit.");
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        await stream.WriteAsync(frame, ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The next message, or null at end of stream.</summary>
    public static async Task<T?> ReadAsync<T>(Stream stream, CancellationToken ct) where T : class
    {
        var header = new byte[4];
        if (!await FillAsync(stream, header, ct).ConfigureAwait(false)) return null;
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length <= 0 || length > MaxFrameBytes) throw new InvalidDataException($"A frame of {length} bytes is out of bounds.");
        var body = new byte[length];
        if (!await FillAsync(stream, body, ct).ConfigureAwait(false)) throw new EndOfStreamException("The stream ended inside a frame.");
        return JsonSerializer.Deserialize<T>(body, Json) ?? throw new InvalidDataException("An empty frame.");
    }

    private static async Task<bool> FillAsync(Stream stream, byte[] buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (read == 0) return false;
                throw new EndOfStreamException("The stream ended inside a frame.");
            }
            read += n;
        }
        return true;
    }
}
