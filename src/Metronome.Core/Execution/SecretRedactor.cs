using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Metronome.Core.Execution;

/// <summary>
/// Removes secrets from text that is about to be logged or recorded on a run: every secret value of the product,
/// and credentials inside connection strings or URLs (<c>Password=…</c>, <c>user:pass@host</c>) even when they were
/// written in the definition itself. The dispatcher applies it once to every outcome, so executors need not.
/// </summary>
/// <remarks>
/// <para>A secret is masked in every form in which an executor's output or error can carry it: as is; JSON-escaped
/// (System.Text.Json's default escaping, its relaxed escaping, and <c>\uXXXX</c> for every character, either hex
/// case); URL-encoded (<c>Uri.EscapeDataString</c>, form encoding with <c>+</c> for a space, either hex case); and
/// each of those JSON-escaped once more (JSON text recorded as a string inside a JSON output).
/// Secrets of 4 characters or more match case-insensitively, so a host name lower-cased by a URI parser is masked.</para>
/// <para>Secrets of 1–3 characters are masked too (the old floor of 4 let them through): every occurrence, matched
/// case-sensitively, wherever it stands. This can mask unrelated characters of an output; it is the safe side
/// of the trade, and the documentation asks for secrets of at least 8 characters.</para>
/// </remarks>
internal static partial class SecretRedactor
{
    public const string Mask = "***";

    /// <summary>Below this length a secret matches case-sensitively (masking every "a" of an output is enough damage).</summary>
    private const int CaseInsensitiveFrom = 4;

    private const int MaxCachedSecretSets = 1024;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (Regex? AnyCase, Regex? Exact)> Cache = new(StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [GeneratedRegex(@"(?i)\b(password|pwd|passwd|auth_token|token|secret|apikey|api_key)\s*=\s*[^;,\s""']+")]
    private static partial Regex KeyValueCredential();

    [GeneratedRegex(@"(?i)\b([a-z][a-z0-9+.-]*://)([^:/@\s""']+):([^@\s""']+)@")]
    private static partial Regex UrlCredential();

    public static string? Redact(string? text, IReadOnlyDictionary<string, string>? secrets)
    {
        if (string.IsNullOrEmpty(text)) return text;
        if (secrets is { Count: > 0 }) text = MaskSecrets(text, secrets.Values);
        text = KeyValueCredential().Replace(text, m => $"{m.Groups[1].Value}={Mask}");
        return UrlCredential().Replace(text, m => $"{m.Groups[1].Value}{m.Groups[2].Value}:{Mask}@");
    }

    /// <summary>Every form of a secret that can reach an output, an error or a log (see the remarks of the class).</summary>
    public static IReadOnlySet<string> Encodings(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var forms = new HashSet<string>(StringComparer.Ordinal) { secret };
        if (secret.Length == 0) return forms;
        forms.Add(JsonInner(JsonSerializer.Serialize(secret)));
        forms.Add(JsonInner(JsonSerializer.Serialize(secret, Relaxed)));
        forms.Add(JsonInner(JsonEncodedText.Encode(secret).ToString(), quoted: false));
        var every = new StringBuilder();
        foreach (var c in secret) every.Append(@"\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
        forms.Add(every.ToString());
        forms.Add(every.ToString().ToLowerInvariant().Replace(@"\U", @"\u", StringComparison.Ordinal));
        var escaped = Uri.EscapeDataString(secret);
        forms.Add(escaped);
        forms.Add(escaped.Replace("%20", "+", StringComparison.Ordinal));
        forms.Add(WebUtility.UrlEncode(secret));
        forms.Add(LowerHex(escaped));
        forms.Add(LowerHex(escaped).Replace("%20", "+", StringComparison.Ordinal));
        // A response body that is JSON text recorded inside a JSON output is escaped twice (\u002B becomes \\u002B).
        foreach (var form in forms.ToList())
        {
            forms.Add(JsonInner(JsonSerializer.Serialize(form)));
            forms.Add(JsonInner(JsonSerializer.Serialize(form, Relaxed)));
        }
        forms.Remove(string.Empty);
        return forms;
    }

    private static string MaskSecrets(string text, IEnumerable<string> secrets)
    {
        var values = secrets.Where(v => !string.IsNullOrEmpty(v)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (values.Count == 0) return text;
        var (anyCase, exact) = Patterns(values);
        // One pass per pattern, longest forms first, so that a short form never cuts a longer one in half.
        if (anyCase is not null) text = anyCase.Replace(text, Mask);
        return exact is null ? text : exact.Replace(text, Mask);
    }

    /// <summary>
    /// The patterns of a product's secrets, cached by their values: the dispatcher redacts every outcome, and building
    /// the forms and the regex each time would cost more than the run. Bounded: cleared when it grows past
    /// <see cref="MaxCachedSecretSets"/> sets (secrets change rarely).
    /// </summary>
    private static (Regex? AnyCase, Regex? Exact) Patterns(List<string> values)
    {
        var key = string.Join('\0', values);
        if (Cache.TryGetValue(key, out var cached)) return cached;
        var exact = new HashSet<string>(StringComparer.Ordinal);
        var anyCase = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var secret in values)
            foreach (var form in Encodings(secret)) (form.Length < CaseInsensitiveFrom ? exact : anyCase).Add(form);
        var patterns = (Build(anyCase, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant), Build(exact, RegexOptions.None));
        if (Cache.Count >= MaxCachedSecretSets) Cache.Clear();
        Cache[key] = patterns;
        return patterns;
    }

    private static Regex? Build(IEnumerable<string> forms, RegexOptions options)
    {
        var ordered = forms.OrderByDescending(f => f.Length).Select(Regex.Escape).ToList();
        return ordered.Count == 0 ? null : new Regex(string.Join('|', ordered), options, TimeSpan.FromSeconds(1));
    }

    private static string JsonInner(string json, bool quoted = true) => quoted ? json[1..^1] : json;

    private static string LowerHex(string escaped) =>
        Regex.Replace(escaped, "%[0-9A-F]{2}", m => m.Value.ToLowerInvariant(), RegexOptions.None, TimeSpan.FromSeconds(1));
}
