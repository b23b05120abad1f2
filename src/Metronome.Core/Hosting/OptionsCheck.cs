using Microsoft.Extensions.Options;

namespace Metronome.Core.Hosting;

/// <summary>
/// Collects the failures of one options object, each naming its setting through <see cref="SettingNames"/>:
/// <c>"{name} must be positive, not '0'."</c>. Validators of the options classes build their result with it.
/// </summary>
/// <typeparam name="TOptions">The options class checked.</typeparam>
public sealed class OptionsCheck<TOptions>(SettingNames? names = null) where TOptions : class
{
    private readonly SettingNames _names = names ?? SettingNames.Default;
    private readonly List<string> _failures = [];

    /// <summary>The name of <paramref name="property"/> in a message (to mention another setting in a rule).</summary>
    public string Name(string property) => _names.Name(typeof(TOptions), property);

    /// <summary>Records a failure unless <paramref name="valid"/>: <c>"{name} {rule}, not '{value}'."</c> (without the value when it is null).</summary>
    public OptionsCheck<TOptions> That(bool valid, string property, object? value, string rule)
    {
        if (!valid)
            _failures.Add(value is null ? $"{Name(property)} {rule}." : $"{Name(property)} {rule}, not '{_names.Value(typeof(TOptions), property, value)}'.");
        return this;
    }

    /// <summary>The failures recorded so far.</summary>
    public IReadOnlyList<string> Failures => _failures;

    /// <summary>Success, or every failure recorded.</summary>
    public ValidateOptionsResult Result => _failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(_failures);
}
