using Metronome.Core.Hosting;
using Microsoft.Extensions.Options;

namespace Metronome.Storage.Sqlite;

/// <summary>Checks <see cref="SqliteStoreOptions"/> when the host starts; every failure names its setting.</summary>
internal sealed class SqliteStoreOptionsValidator(SettingNames? names = null) : IValidateOptions<SqliteStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteStoreOptions o) => new OptionsCheck<SqliteStoreOptions>(names)
        .That(!string.IsNullOrWhiteSpace(o.DatabasePath), nameof(o.DatabasePath), o.DatabasePath, "must not be empty")
        .That(Enum.IsDefined(o.Synchronous), nameof(o.Synchronous), o.Synchronous, "must be Full or Normal")
        // SQLite takes the busy timeout in whole milliseconds of an int.
        .That(o.BusyTimeout >= TimeSpan.Zero && o.BusyTimeout.TotalMilliseconds <= int.MaxValue, nameof(o.BusyTimeout), o.BusyTimeout,
            "must be between 0 and 2147483647 ms")
        .Result;
}
