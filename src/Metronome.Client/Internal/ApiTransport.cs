using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Metronome.Contracts;

namespace Metronome.Client.Internal;

/// <summary>
/// The one place that sends requests and reads answers: wire JSON out, wire JSON in, and every failure turned into a
/// <see cref="MetronomeApiException"/> carrying the problem details. Answers are read leniently (unknown fields are
/// skipped) so that an older client keeps working against a newer server; requests stay strict on the server side.
/// </summary>
internal sealed class ApiTransport(HttpClient http, Uri baseAddress, string? apiKey)
{
    private static readonly JsonSerializerOptions ReadOptions = new(MetronomeJson.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };
    private static readonly ProductInfoHeaderValue UserAgent = new("Metronome.Client", typeof(ApiTransport).Assembly.GetName().Version?.ToString(3) ?? "1.0.0");
    private readonly string _root = baseAddress.AbsoluteUri.TrimEnd('/');

    public Uri BaseAddress => baseAddress;

    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var response = await SendCoreAsync(method, path, body, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<T>(text, ReadOptions)
                ?? throw new JsonException("The answer was empty.");
        }
        catch (JsonException e)
        {
            throw new MetronomeApiException(response.StatusCode, "Unreadable answer",
                $"{method} {path} answered {(int)response.StatusCode} with a body that is not the expected JSON: {e.Message}", innerException: e);
        }
    }

    public async Task SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var response = await SendCoreAsync(method, path, body, ct).ConfigureAwait(false);
    }

    private const int LargeBodyBytes = 64 * 1024;

    private async Task<HttpResponseMessage> SendCoreAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, _root + path);
        request.Headers.UserAgent.Add(UserAgent);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        if (body is not null)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), MetronomeJson.Options);
            request.Content = new ByteArrayContent(json);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            // A large body waits for "100 Continue", so a server that refuses it (413) answers before the upload
            // instead of cutting the connection in the middle of it.
            if (json.Length > LargeBodyBytes) request.Headers.ExpectContinue = true;
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or TimeoutException || IsResilienceRejection(e))
        {
            var why = e is OperationCanceledException or TimeoutException ? "no answer in time" : Innermost(e).Message;
            throw new MetronomeApiException(0, "Unreachable", $"could not reach {baseAddress}: {why}", innerException: e);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
            throw await ToExceptionAsync(response, ct).ConfigureAwait(false);
    }

    // Polly's rejections (an open circuit, a timeout) are not HttpRequestExceptions; name them without referencing Polly types.
    private static bool IsResilienceRejection(Exception e) => e.GetType().Namespace?.StartsWith("Polly", StringComparison.Ordinal) == true;

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    internal static async Task<MetronomeApiException> ToExceptionAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = response.StatusCode;
        string text;
        try { text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false); }
        catch (HttpRequestException) { text = ""; }
        string? title = null, detail = null, traceId = null;
        Dictionary<string, string[]>? errors = null;
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                title = String(root, "title");
                detail = String(root, "detail");
                traceId = String(root, "trace_id") ?? String(root, "traceId");
                if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
                {
                    errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
                    foreach (var field in e.EnumerateObject())
                        errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                            ? [.. field.Value.EnumerateArray().Select(m => m.ValueKind == JsonValueKind.String ? m.GetString()! : m.GetRawText())]
                            : [field.Value.ToString()];
                }
            }
        }
        catch (JsonException)
        {
            detail = text.Length == 0 ? null : text.Length > 500 ? text[..500] : text;
        }
        title ??= response.ReasonPhrase;
        if (detail is null && errors is null) detail = DefaultDetail(status, title);
        return new MetronomeApiException(status, title, detail, errors, traceId);
    }

    private static string DefaultDetail(HttpStatusCode status, string? title) => status switch
    {
        HttpStatusCode.Unauthorized => "a valid key is required",
        HttpStatusCode.Forbidden => "this call needs the admin key",
        HttpStatusCode.RequestEntityTooLarge => "the request body is larger than the server accepts",
        _ => title ?? $"HTTP {(int)status}",
    };

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
