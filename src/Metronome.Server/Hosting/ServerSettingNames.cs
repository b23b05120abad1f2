using System.Globalization;
using Metronome.Core.Hosting;

namespace Metronome.Server.Hosting;

/// <summary>
/// Names a setting in the server's validation messages by its variable and key
/// (<c>METRONOME_NODE_TIMEOUT_MS (Metronome:Cluster:NodeTimeout)</c>) and shows a time in the variable's unit, so the
/// operator reads back what they wrote. A setting without a variable is named by its key.
/// </summary>
internal sealed class ServerSettingNames : SettingNames
{
    public static ServerSettingNames Instance { get; } = new();

    private readonly Dictionary<string, Setting> _byKey = SettingsTable.All.ToDictionary(s => s.Key, StringComparer.OrdinalIgnoreCase);

    public override string Name(Type options, string property) =>
        Find(options, property) is { } setting ? setting.Name
        : SettingsTable.Sections.TryGetValue(options, out var section) ? $"{section}:{property}"
        : base.Name(options, property);

    public override string Value(Type options, string property, object? value) => (Find(options, property)?.Unit, value) switch
    {
        (SettingUnit.Milliseconds, TimeSpan t) => t.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
        (SettingUnit.Days, TimeSpan t) => t.TotalDays.ToString(CultureInfo.InvariantCulture),
        _ => base.Value(options, property, value),
    };

    private Setting? Find(Type options, string property) =>
        SettingsTable.Sections.TryGetValue(options, out var section) && _byKey.TryGetValue($"{section}:{property}", out var setting) ? setting : null;
}
