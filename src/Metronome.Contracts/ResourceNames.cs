using System.Text.RegularExpressions;

namespace Metronome.Contracts;

/// <summary>
/// The shapes of the names that appear in URLs (SPEC §1, §4): product, job and event tags, secret names, run ids.
/// The SDK and CLI check a name before building a URL with it, so <c>metronome jobs delete ..</c> fails at once and sends
/// nothing (a <c>..</c> segment would otherwise address the product itself).
/// </summary>
public static partial class ResourceNames
{
    /// <summary>The tag rule of products, jobs and events.</summary>
    public const string TagPattern = "^[a-z0-9][a-z0-9_.-]{0,99}$";

    /// <summary>The rule of secret names.</summary>
    public const string SecretNamePattern = "^[A-Za-z_][A-Za-z0-9_]{0,63}$";

    /// <summary>True when <paramref name="value"/> is a valid product, job or event tag.</summary>
    public static bool IsTag(string? value) => value is not null && Tag().IsMatch(value);

    /// <summary>True when <paramref name="value"/> is a valid secret name.</summary>
    public static bool IsSecretName(string? value) => value is not null && SecretName().IsMatch(value);

    /// <summary>Returns <paramref name="value"/> when it is a valid tag; else throws naming <paramref name="what"/>.</summary>
    /// <exception cref="ArgumentException">The value is not a tag.</exception>
    public static string RequireTag(string? value, string what) =>
        IsTag(value) ? value! : throw new ArgumentException($"{what} '{Shown(value)}' is not a valid tag: it must match {TagPattern}.", what);

    /// <summary>Returns <paramref name="value"/> when it is a valid secret name; else throws.</summary>
    /// <exception cref="ArgumentException">The value is not a secret name.</exception>
    public static string RequireSecretName(string? value) =>
        IsSecretName(value) ? value! : throw new ArgumentException($"secret name '{Shown(value)}' is not valid: it must match {SecretNamePattern}.", "name");

    /// <summary>Returns <paramref name="value"/> when it names an event type (as <see cref="JobEventTypes.Normalize"/> accepts it).</summary>
    /// <exception cref="ArgumentException">The value names no event type.</exception>
    public static string RequireEventType(string? value) =>
        JobEventTypes.Normalize(value) is not null ? value! :
        throw new ArgumentException($"event type '{Shown(value)}' is not one of {string.Join(", ", JobEventTypes.All)}.", "type");

    /// <summary>Returns <paramref name="value"/> when it can be a run id (letters and digits only, at most 64).</summary>
    /// <exception cref="ArgumentException">The value cannot be a run id.</exception>
    public static string RequireRunId(string? value) =>
        value is { Length: > 0 and <= 64 } && value.All(char.IsAsciiLetterOrDigit) ? value :
        throw new ArgumentException($"run id '{Shown(value)}' is not valid: a run id is 32 hexadecimal digits.", "runId");

    // Echo what the caller gave, but never a control character into a terminal.
    private static string Shown(string? value) =>
        value is null ? "" : new string([.. value.Take(120).Select(c => char.IsControl(c) ? '?' : c)]);

    // \z, not $: "$" also matches before a final "\n".
    [GeneratedRegex(@"^[a-z0-9][a-z0-9_.-]{0,99}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Tag();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}
