using System.Globalization;

namespace Metronome.Core.Hosting;

/// <summary>
/// How a validation message names a setting and shows its value. By default the options type and property
/// (<c>MetronomeOptions.MinIntervalMs</c>), as an embedding host writes them; the server registers its own, which names
/// the environment variable and the configuration key (<c>METRONOME_MIN_INTERVAL_MS (Metronome:MinIntervalMs)</c>) and
/// shows a time in the unit of the variable.
/// </summary>
public class SettingNames
{
    /// <summary>The names an embedding host sees.</summary>
    public static SettingNames Default { get; } = new();

    /// <summary>The name of <paramref name="property"/> of <paramref name="options"/> in a message.</summary>
    public virtual string Name(Type options, string property)
    {
        ArgumentNullException.ThrowIfNull(options);
        return $"{options.Name}.{property}";
    }

    /// <summary>The value of <paramref name="property"/> as the reader set it.</summary>
    public virtual string Value(Type options, string property, object? value) => value switch
    {
        null => "",
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable items => string.Join(",", items.Cast<object?>()),
        _ => value.ToString() ?? "",
    };
}
