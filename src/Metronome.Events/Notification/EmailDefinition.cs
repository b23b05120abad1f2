using System.Text.Json;
using MailKit.Security;
using Metronome.Core;
using Metronome.Core.Templates;
using MimeKit;

namespace Metronome.Events.Notification;

/// <summary>The SMTP server of an <c>email</c> notification; host, username and password are templates.</summary>
internal sealed record SmtpSettings(string Host, int Port, SecureSocketOptions Tls, string? Username, string? Password);

/// <summary>
/// The <c>email</c> channel's definition: <c>smtp</c> {<c>host</c>, <c>port</c>, <c>tls</c> (<c>none</c> |
/// <c>starttls</c> | <c>tls</c>, default <c>starttls</c>), <c>username</c>, <c>password</c>}, <c>from</c>, <c>to</c>
/// (an array, exactly one address per item), <c>subject</c>, <c>body</c>, <c>html</c> and <c>timeout_ms</c>. The port defaults by <c>tls</c>:
/// 25, 587 or 465. Every string is a template rendered as text; addresses are parsed after rendering.
/// </summary>
internal sealed record EmailDefinition(
    SmtpSettings Smtp, string From, IReadOnlyList<string> To, string Subject, string Body, bool Html, TimeSpan? Timeout)
{
    private static readonly HashSet<string> Fields = ["channel", "smtp", "from", "to", "subject", "body", "html", "timeout_ms"];
    private static readonly HashSet<string> SmtpFields = ["host", "port", "tls", "username", "password"];

    /// <summary>Addresses need a domain: "ops" alone is a typo, not a local mailbox, for a scheduler.</summary>
    private static readonly ParserOptions Addresses = new() { AllowAddressesWithoutDomain = false };

    public static EmailDefinition? Read(JsonElement definition, ValidationErrors errors)
    {
        const string root = NotificationFields.Root;
        var ok = NotificationFields.RejectUnknown(definition, root, Fields, errors);
        var smtp = ReadSmtp(definition, errors, ref ok);
        var from = NotificationFields.Text(definition, root, "from", errors, required: true, ref ok);
        if (from is not null) CheckAddress(from, root + ".from", errors, ref ok);
        var to = NotificationFields.TextList(definition, "to", errors, allowSingle: false, ref ok);
        for (var i = 0; i < (to?.Count ?? 0); i++) CheckAddress(to![i], $"{root}.to[{i}]", errors, ref ok);
        var subject = NotificationFields.Text(definition, root, "subject", errors, required: true, ref ok);
        if (HeaderText.HasLineBreak(subject)) { errors.Add(root + ".subject", HeaderText.Problem); ok = false; }
        var body = NotificationFields.Text(definition, root, "body", errors, required: false, ref ok) ?? string.Empty;
        var html = NotificationFields.Bool(definition, "html", errors, ref ok) ?? false;
        var timeout = NotificationFields.Timeout(definition, errors, ref ok);
        return ok ? new EmailDefinition(smtp!, from!, to!, subject!, body, html, timeout) : null;
    }

    /// <summary>
    /// The message for this attempt, or null with <paramref name="problem"/> when a rendered value is unusable;
    /// <paramref name="rejected"/> tells a value that tries to add recipients or headers (an item rendering to several
    /// addresses, CR or LF in the subject) from one that merely renders empty.
    /// </summary>
    public MimeMessage? ToMessage(TemplateScope scope, string idempotencyKey, out string? problem, out bool rejected)
    {
        problem = null;
        rejected = true;
        var message = new MimeMessage();
        if (SingleMailbox(TemplateRenderer.Render(From, scope)) is not { } from)
        {
            problem = "definition.from: the rendered value is not exactly one email address.";
            return null;
        }
        message.From.Add(from);
        for (var i = 0; i < To.Count; i++)
        {
            var text = TemplateRenderer.Render(To[i], scope);
            if (string.IsNullOrWhiteSpace(text)) continue; // an optional recipient left empty by the input
            // Exactly one address per item: "a@x, b@evil" from an input must not add a recipient.
            if (SingleMailbox(text) is not { } recipient)
            {
                problem = DefinitionReader.Invariant($"definition.to[{i}]: the rendered value is not exactly one email address; nothing was sent.");
                return null;
            }
            message.To.Add(recipient);
        }
        var subject = TemplateRenderer.Render(Subject, scope);
        if (HeaderText.HasLineBreak(subject))
        {
            problem = "definition.subject: the rendered value contains CR, LF or NUL; nothing was sent.";
            return null;
        }
        rejected = false;
        if (message.To.Count == 0)
        {
            problem = "definition.to: no recipient rendered to an email address.";
            return null;
        }
        message.Subject = subject;
        message.Body = new TextPart(Html ? "html" : "plain") { Text = TemplateRenderer.Render(Body, scope) };
        // Every attempt of a slot carries the same key, so a receiving system can deduplicate a retried slot.
        message.Headers.Add("X-Idempotency-Key", idempotencyKey);
        return message;
    }

    /// <summary>The one mailbox <paramref name="text"/> holds; null for none, several, a group, or CR/LF/NUL anywhere.</summary>
    private static MailboxAddress? SingleMailbox(string text) =>
        !HeaderText.HasLineBreak(text) && InternetAddressList.TryParse(Addresses, text, out var list)
            && list.Count == 1 && list[0] is MailboxAddress mailbox && !string.IsNullOrEmpty(mailbox.Address)
            ? mailbox
            : null;

    private static SmtpSettings? ReadSmtp(JsonElement definition, ValidationErrors errors, ref bool ok)
    {
        const string prefix = NotificationFields.Root + ".smtp";
        if (DefinitionReader.Optional(definition, "smtp") is not { } smtp)
        {
            errors.Add(prefix, "Required.");
            ok = false;
            return null;
        }
        if (smtp.ValueKind != JsonValueKind.Object)
        {
            errors.Add(prefix, "Must be an object with host, port, tls, username and password.");
            ok = false;
            return null;
        }
        var valid = NotificationFields.RejectUnknown(smtp, prefix, SmtpFields, errors);
        var host = NotificationFields.Text(smtp, prefix, "host", errors, required: true, ref valid);
        var tlsText = NotificationFields.Text(smtp, prefix, "tls", errors, required: false, ref valid) ?? "starttls";
        var tls = tlsText switch
        {
            "none" => SecureSocketOptions.None,
            "starttls" => SecureSocketOptions.StartTls,
            "tls" => SecureSocketOptions.SslOnConnect,
            _ => (SecureSocketOptions?)null,
        };
        if (tls is null) { errors.Add(prefix + ".tls", "Must be one of: none, starttls, tls."); valid = false; }
        int? port = null;
        if (DefinitionReader.Optional(smtp, "port") is { } portValue)
        {
            if (portValue.ValueKind == JsonValueKind.Number && portValue.TryGetInt32(out var p) && p is >= 1 and <= 65535) port = p;
            else { errors.Add(prefix + ".port", "Must be an integer from 1 to 65535."); valid = false; }
        }
        var username = NotificationFields.Text(smtp, prefix, "username", errors, required: false, ref valid);
        var password = NotificationFields.Text(smtp, prefix, "password", errors, required: false, ref valid);
        if (password is not null && string.IsNullOrEmpty(username))
        {
            errors.Add(prefix + ".username", "Required when a password is given.");
            valid = false;
        }
        ok &= valid;
        if (!valid) return null;
        var defaultPort = tls switch { SecureSocketOptions.SslOnConnect => 465, SecureSocketOptions.StartTls => 587, _ => 25 };
        return new SmtpSettings(host!, port ?? defaultPort, tls!.Value, string.IsNullOrEmpty(username) ? null : username, password);
    }

    private static void CheckAddress(string template, string field, ValidationErrors errors, ref bool ok)
    {
        if (HeaderText.HasLineBreak(template))
        {
            errors.Add(field, HeaderText.Problem);
            ok = false;
            return;
        }
        if (TemplateRenderer.HasPlaceholders(template) || SingleMailbox(template) is not null) return;
        errors.Add(field, "Must be exactly one email address (one item per recipient).");
        ok = false;
    }
}
