using Metronome.Core.Hosting;
using Metronome.Events.Egress;
using Microsoft.Extensions.Options;

namespace Metronome.Events;

/// <summary>Checks <see cref="EventsOptions"/> when the host starts; every failure names its setting and the entry at fault.</summary>
internal sealed class EventsOptionsValidator(SettingNames? names = null) : IValidateOptions<EventsOptions>
{
    private const string EntryRule = "must list CIDRs (10.0.0.0/8), IP addresses or host names (example.com, *.example.com)";

    public ValidateOptionsResult Validate(string? name, EventsOptions o)
    {
        var check = new OptionsCheck<EventsOptions>(names)
            .That(o.SqliteRoot is null || Path.IsPathFullyQualified(o.SqliteRoot), nameof(o.SqliteRoot), o.SqliteRoot,
                "must be an absolute directory path");
        foreach (var path in o.ProtectedPaths)
            check.That(Path.IsPathFullyQualified(path), nameof(o.ProtectedPaths), path, "must hold absolute paths only");
        foreach (var entry in o.EgressAllow)
            check.That(EgressRule.Parse(entry) is not null, nameof(o.EgressAllow), entry, EntryRule);
        foreach (var entry in o.EgressDeny)
            check.That(EgressRule.Parse(entry) is not null, nameof(o.EgressDeny), entry, EntryRule);
        return check.Result;
    }
}
