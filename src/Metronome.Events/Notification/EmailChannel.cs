using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Metronome.Core;
using Metronome.Core.Execution;
using Metronome.Core.Templates;
using MimeKit;
using ExecutionContext = Metronome.Core.Execution.ExecutionContext;

namespace Metronome.Events.Notification;

/// <summary>
/// The <c>email</c> channel: one SMTP conversation per attempt with MailKit (connect with the definition's TLS mode,
/// authenticate when a username is given, send, quit). SMTP servers are usually few and close, and a fresh
/// conversation keeps credentials and TLS state per event; pooling connections is not worth its failure modes here.
/// </summary>
/// <remarks>
/// Error kinds: nothing listening or an unknown host → <c>connection_refused</c>; credentials refused (535 and
/// other 53x replies, or no AUTH offered while a username is set) → <c>auth_failed</c>; a sender, recipient or
/// message refused, no STARTTLS offered, or a failed TLS handshake → <c>rejected</c>; the definition's
/// <c>timeout_ms</c> or MailKit's I/O timeout → <c>timeout</c>. The attempt's own timeout cancels the token and the
/// engine records <c>timed_out</c>.
/// </remarks>
internal sealed class EmailChannel : INotificationChannel
{
    public string Name => "email";

    public void Validate(JsonElement definition, ValidationErrors errors) => EmailDefinition.Read(definition, errors);

    public async Task<ExecutionOutcome> SendAsync(JsonElement definition, ExecutionContext context, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (EmailDefinition.Read(definition, errors) is not { } email)
            return ExecutionOutcome.Failure(ErrorKinds.Exception, "The definition is invalid: " + DefinitionReader.Describe(errors));
        var scope = TemplateScope.From(context);
        if (email.ToMessage(scope, context.IdempotencyKey, out var problem, out var rejected) is not { } message)
            return ExecutionOutcome.Failure(rejected ? ErrorKinds.Rejected : ErrorKinds.Exception, "The rendered definition is invalid: " + problem);
        var smtp = email.Smtp;
        var host = TemplateRenderer.Render(smtp.Host, scope).Trim();
        var username = smtp.Username is null ? null : TemplateRenderer.Render(smtp.Username, scope);
        var password = smtp.Password is null ? string.Empty : TemplateRenderer.Render(smtp.Password, scope);
        var server = DefinitionReader.Invariant($"{host}:{smtp.Port}");

        using var timeoutCts = email.Timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (email.Timeout is { } timeout) timeoutCts!.CancelAfter(timeout);
        var token = timeoutCts?.Token ?? ct;
        var stage = Stage.Connect;
        using var client = new SmtpClient { Timeout = (int)Math.Min(int.MaxValue, (email.Timeout ?? context.Timeout).TotalMilliseconds) };
        try
        {
            await client.ConnectAsync(host, smtp.Port, smtp.Tls, token).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(username))
            {
                stage = Stage.Authenticate;
                await client.AuthenticateAsync(username, password, token).ConfigureAwait(false);
            }
            stage = Stage.Send;
            var response = await client.SendAsync(message, token).ConfigureAwait(false);
            await QuitAsync(client, token).ConfigureAwait(false);
            return ExecutionOutcome.Success(OutputLimiter.Limit(new JsonObject
            {
                ["server"] = server,
                ["message_id"] = message.MessageId,
                ["recipients"] = new JsonArray([.. message.To.Mailboxes.Select(m => (JsonNode)m.Address)]),
                ["response"] = response,
            }.ToJsonString()));
        }
        catch (Exception e) when (ct.IsCancellationRequested)
        {
            if (e is OperationCanceledException) throw;
            throw new OperationCanceledException("The attempt was cancelled.", e, ct);
        }
        catch (Exception e) when (timeoutCts?.IsCancellationRequested == true || IsTimeout(e))
        {
            var limit = (email.Timeout ?? context.Timeout).TotalMilliseconds;
            return ExecutionOutcome.Failure(ErrorKinds.Timeout, DefinitionReader.Invariant($"The SMTP server {server} did not answer within {limit:0} ms ({stage})."));
        }
        catch (Exception e) when (Classify(e, stage, server) is { } outcome)
        {
            return outcome;
        }
    }

    private enum Stage { Connect, Authenticate, Send }

    private static ExecutionOutcome? Classify(Exception e, Stage stage, string server) => e switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } =>
            ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused, $"Connection refused by the SMTP server {server}."),
        SocketException socket when stage == Stage.Connect =>
            ExecutionOutcome.Failure(ErrorKinds.ConnectionRefused, $"Could not connect to the SMTP server {server}: {socket.Message}"),
        AuthenticationException =>
            ExecutionOutcome.Failure(ErrorKinds.AuthFailed, $"The SMTP server {server} refused the credentials: {e.Message}"),
        ServiceNotAuthenticatedException =>
            ExecutionOutcome.Failure(ErrorKinds.AuthFailed, $"The SMTP server {server} requires authentication (set smtp.username and smtp.password): {e.Message}"),
        NotSupportedException when stage == Stage.Authenticate =>
            ExecutionOutcome.Failure(ErrorKinds.AuthFailed, $"The SMTP server {server} does not offer authentication: {e.Message}"),
        NotSupportedException when stage == Stage.Connect =>
            ExecutionOutcome.Failure(ErrorKinds.Rejected, $"The SMTP server {server} refused the TLS mode: {e.Message}"),
        SslHandshakeException =>
            ExecutionOutcome.Failure(ErrorKinds.Rejected, $"The TLS handshake with the SMTP server {server} failed: {e.Message}"),
        SmtpCommandException command when (int)command.StatusCode is >= 530 and < 540 =>
            ExecutionOutcome.Failure(ErrorKinds.AuthFailed, $"The SMTP server {server} requires other credentials: {(int)command.StatusCode} {command.Message}"),
        SmtpCommandException command =>
            ExecutionOutcome.Failure(ErrorKinds.Rejected, $"The SMTP server {server} rejected {Subject(command)}: {(int)command.StatusCode} {command.Message}"),
        SmtpProtocolException or ServiceNotConnectedException or IOException or SocketException =>
            ExecutionOutcome.Failure(ErrorKinds.Exception, $"The SMTP conversation with {server} failed ({stage}): {e.Message}"),
        _ => null,
    };

    private static string Subject(SmtpCommandException e) => e.ErrorCode switch
    {
        SmtpErrorCode.RecipientNotAccepted => $"the recipient {e.Mailbox?.Address}",
        SmtpErrorCode.SenderNotAccepted => $"the sender {e.Mailbox?.Address}",
        SmtpErrorCode.MessageNotAccepted => "the message",
        _ => "a command",
    };

    private static bool IsTimeout(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
            if (current is TimeoutException or SocketException { SocketErrorCode: SocketError.TimedOut }) return true;
        return false;
    }

    /// <summary>The message is accepted once SendAsync returns; a failed QUIT must not turn that into a failure.</summary>
    private static async Task QuitAsync(SmtpClient client, CancellationToken ct)
    {
        try { await client.DisconnectAsync(quit: true, ct).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or SmtpProtocolException or SmtpCommandException or SocketException) { }
    }
}
