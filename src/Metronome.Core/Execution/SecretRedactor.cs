using System.Text.RegularExpressions;

namespace Metronome.Core.Execution;

/// <summary>
/// Removes secrets from text that is about to be logged or recorded on a run: every secret value of the product,
/// and credentials inside connection strings or URLs (<c>Password=…</c>, <c>user:pass@host</c>) even when they were
/// written in the definition itself. The dispatcher applies it once to every outcome, so executors need not.
/// </summary>
public static partial class SecretRedactor
{
    public const string Mask = "***";

    [GeneratedRegex(@"(?i)\b(password|pwd|passwd|auth_token|token|secret|apikey|api_key)\s*=\s*[^;,\s""']+")]
    private static partial Regex KeyValueCredential();

    [GeneratedRegex(@"(?i)\b([a-z][a-z0-9+.-]*://)([^:/@\s""']+):([^@\s""']+)@")]
    private static partial Regex UrlCredential();

    public static string? Redact(string? text, IReadOnlyDictionary<string, string>? secrets)
    {
        if (string.IsNullOrEmpty(text)) return text;
        if (secrets is not null)
            foreach (var value in secrets.Values)
                if (value.Length >= 4) text = text.Replace(value, Mask, StringComparison.Ordinal);
        text = KeyValueCredential().Replace(text, m => $"{m.Groups[1].Value}={Mask}");
        return UrlCredential().Replace(text, m => $"{m.Groups[1].Value}{m.Groups[2].Value}:{Mask}@");
    }
}
