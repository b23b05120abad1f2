using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Execution;
using Metronome.Core.Templates;
using Metronome.Events.Http;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Notification;

/// <summary>
/// The <c>webhook</c> channel: exactly an <c>action</c> (<see cref="HttpActionDefinition"/>: <c>method</c>, <c>url</c>,
/// <c>headers</c>, <c>query</c>, <c>body</c>, <c>timeout_ms</c>, <c>success_status</c>) sent by the same
/// <see cref="HttpRequestSender"/>, so it records the same output and error kinds (<c>http_status</c> included).
/// </summary>
internal sealed class WebhookChannel(HttpRequestSender sender) : INotificationChannel
{
    private static readonly HashSet<string> Fields =
        ["channel", "method", "url", "headers", "query", "body", "timeout_ms", "success_status", "follow_redirects"];

    public string Name => "webhook";

    public void Validate(JsonElement definition, ValidationErrors errors)
    {
        NotificationFields.RejectUnknown(definition, NotificationFields.Root, Fields, errors);
        HttpActionDefinition.Read(definition, errors, beforeRendering: true);
    }

    public Task<ExecutionOutcome> SendAsync(JsonElement definition, ExecutionContext context, CancellationToken ct)
    {
        var rendered = TemplateRenderer.RenderElement(definition, TemplateScope.From(context));
        // A CR/LF from an input or a secret would add headers or a second request: refused, nothing is sent.
        if (HeaderText.FindInRendered(rendered, "url", "method") is { } injection)
            return Task.FromResult(ExecutionOutcome.Failure(ErrorKinds.Rejected, injection));
        var errors = new ValidationErrors();
        if (HttpActionDefinition.Read(rendered, errors, beforeRendering: false) is not { } webhook)
        {
            return Task.FromResult(ExecutionOutcome.Failure(ErrorKinds.Exception,
                "The rendered definition is invalid: " + DefinitionReader.Describe(errors)));
        }
        return sender.SendAsync(webhook.Request, context.IdempotencyKey, webhook.IsSuccess, ct);
    }
}
