using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Metronome.Core.Execution;
using Metronome.Core.Runs;
using Metronome.Events.Egress;

namespace Metronome.Events.Http;

/// <summary>
/// Sends one <see cref="HttpRequestSpec"/> and turns what happened into an <see cref="ExecutionOutcome"/>:
/// success with <c>{"status": 200, "body": ...}</c>, or a failure of kind <c>http_status</c>, <c>connection_refused</c>,
/// <c>timeout</c> (the definition's own timeout), <c>egress_denied</c> (the egress policy refused the destination),
/// <c>rejected</c> (CR, LF or NUL in the URL or a header: nothing is sent) or <c>exception</c>. When the caller's token is cancelled (the
/// attempt's timeout), the <see cref="OperationCanceledException"/> propagates so the dispatcher records it.
/// Used by the <c>action</c> event and, later, by the <c>webhook</c> notification channel.
/// </summary>
internal sealed class HttpRequestSender(IHttpClientFactory clientFactory)
{
    /// <summary>The named <see cref="HttpClient"/> (no retries, no client timeout; see <c>AddMetronomeEvents</c>).</summary>
    public const string ClientName = "metronome-action";

    /// <summary>Room kept in the output for the status and the JSON around the body.</summary>
    private const int OutputEnvelopeBytes = 256;

    /// <summary>Hops followed at most when the definition asks to follow redirects.</summary>
    public const int MaxRedirects = 5;

    public async Task<ExecutionOutcome> SendAsync(
        HttpRequestSpec spec, string? idempotencyKey, Func<int, bool> isSuccess, CancellationToken ct)
    {
        if (spec.FindLineBreak() is { } injection) return ExecutionOutcome.Failure(ErrorKinds.Rejected, injection);
        using var timeoutCts = spec.Timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (spec.Timeout is { } timeout) timeoutCts!.CancelAfter(timeout);
        var token = timeoutCts?.Token ?? ct;
        var requests = new List<HttpRequestMessage>();
        try
        {
            var client = clientFactory.CreateClient(ClientName);
            requests.Add(spec.ToMessage(idempotencyKey));
            using var response = await FollowAsync(client, spec, requests, idempotencyKey, token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var body = await ReadBodyAsync(response.Content, token).ConfigureAwait(false);
            var output = OutputLimiter.Limit(new JsonObject { ["status"] = status, ["body"] = body }.ToJsonString());
            return isSuccess(status)
                ? ExecutionOutcome.Success(output)
                : ExecutionOutcome.Failure(ErrorKinds.HttpStatus, $"Unexpected HTTP status {status} ({response.ReasonPhrase}).", output);
        }
        catch (Exception e) when (ct.IsCancellationRequested)
        {
            if (e is OperationCanceledException) throw;
            throw new OperationCanceledException("The attempt was cancelled.", e, ct);
        }
        catch (Exception e) when (timeoutCts?.IsCancellationRequested == true && e is OperationCanceledException or HttpRequestException or IOException)
        {
            return ExecutionOutcome.Failure(ErrorKinds.Timeout,
                $"No complete response within {spec.Timeout!.Value.TotalMilliseconds:0} ms (definition.timeout_ms).");
        }
        catch (HttpRequestException e) when (Find<EgressDeniedException>(e) is { } denied)
        {
            return ExecutionOutcome.Failure(ErrorKinds.EgressDenied, denied.Message);
        }
        catch (HttpRequestException e) when (IsConnectionRefused(e))
        {
            return ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused, $"Connection refused by {spec.Url.Authority}.");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return ExecutionOutcome.Failure(ErrorKinds.Exception, $"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            foreach (var request in requests) request.Dispose();
        }
    }

    /// <summary>
    /// Sends the first request and, when the definition asks for it, follows up to <see cref="MaxRedirects"/> redirects
    /// itself (the handler never does): each hop connects through the egress check again, never downgrades https to
    /// http, and carries the definition's headers only back to the original origin. 301/302 of a POST and any 303
    /// continue as GET without a body, 307/308 keep method and body, as browsers and HttpClient do.
    /// </summary>
    private static async Task<HttpResponseMessage> FollowAsync(
        HttpClient client, HttpRequestSpec spec, List<HttpRequestMessage> requests, string? idempotencyKey, CancellationToken ct)
    {
        var current = requests[0];
        var response = await client.SendAsync(current, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        var method = spec.Method;
        var withBody = spec.Body is not null;
        for (var hop = 0; spec.FollowRedirects && hop < MaxRedirects; hop++)
        {
            var status = (int)response.StatusCode;
            if (status is not (301 or 302 or 303 or 307 or 308) || response.Headers.Location is not { } location) break;
            var from = current.RequestUri!;
            var target = location.IsAbsoluteUri ? location : new Uri(from, location);
            if (target.Scheme is not ("http" or "https") || (from.Scheme == "https" && target.Scheme == "http")) break;
            if ((status == 303 && method != HttpMethod.Head) || (status is 301 or 302 && method == HttpMethod.Post))
            {
                method = HttpMethod.Get;
                withBody = false;
            }
            response.Dispose();
            current = spec.ToRedirect(target, method, withBody, idempotencyKey);
            requests.Add(current);
            response = await client.SendAsync(current, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        return response;
    }

    private static T? Find<T>(Exception e) where T : Exception
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
            if (current is T match) return match;
        return null;
    }

    /// <summary>
    /// Reads at most the output budget: JSON stays JSON when it is complete and parses, anything else is text;
    /// a body over budget becomes truncated text with the <see cref="OutputLimiter"/> marker.
    /// </summary>
    private static async Task<JsonNode?> ReadBodyAsync(HttpContent content, CancellationToken ct)
    {
        var budget = RunLimits.MaxOutputBytes - OutputEnvelopeBytes;
        await using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[budget + 1];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false);
            if (n == 0) break;
            read += n;
        }
        if (read == 0) return JsonValue.Create(string.Empty);
        var text = Encoding.UTF8.GetString(buffer, 0, Math.Min(read, budget));
        if (read > budget)
        {
            var known = content.Headers.ContentLength;
            return JsonValue.Create(OutputLimiter.TruncateText(text, known ?? budget, budget, sizeIsLowerBound: known is null));
        }
        if (IsJson(content.Headers.ContentType))
        {
            try { return JsonNode.Parse(text); }
            catch (JsonException) { /* a server that mislabels its body: keep it as text */ }
        }
        return JsonValue.Create(text);
    }

    private static bool IsJson(MediaTypeHeaderValue? type) =>
        type?.MediaType is { } media && (media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    private static bool IsConnectionRefused(Exception e)
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused }) return true;
        return false;
    }
}
