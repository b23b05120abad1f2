using System.Text.Json;
using Metronome.Core;
using Metronome.Core.Execution;
using Metronome.Core.Templates;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Http;

/// <summary>
/// Executes an <c>action</c> event: renders the definition's templates, sends one HTTP request with an
/// <c>Idempotency-Key</c> header, and succeeds when the status is expected (<c>success_status</c>, default 2xx).
/// </summary>
internal sealed class HttpActionExecutor(HttpRequestSender sender) : IEventExecutor
{
    public string EventType => "action";

    public void Validate(JsonElement definition, ValidationErrors errors)
    {
        HttpActionDefinition.Read(definition, errors, beforeRendering: true);
        TemplateRenderer.Validate(definition, DefinitionReader.Prefix, errors);
    }

    public Task<ExecutionOutcome> ExecuteAsync(ExecutionContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var document = JsonDocument.Parse(context.Event.DefinitionJson);
        var rendered = TemplateRenderer.RenderElement(document.RootElement, TemplateScope.From(context));
        // A CR/LF from an input or a secret would add headers or a second request: refused, nothing is sent.
        if (HeaderText.FindInRendered(rendered, "url", "method") is { } injection)
            return Task.FromResult(ExecutionOutcome.Failure(ErrorKinds.Rejected, injection));
        var errors = new ValidationErrors();
        if (HttpActionDefinition.Read(rendered, errors, beforeRendering: false) is not { } definition)
        {
            // Only values known at run time (templated url or method) can get here: validation caught the rest.
            return Task.FromResult(ExecutionOutcome.Failure(ErrorKinds.Exception,
                "The rendered definition is invalid: " + DefinitionReader.Describe(errors)));
        }
        return sender.SendAsync(definition.Request, context.IdempotencyKey, definition.IsSuccess, ct);
    }
}
