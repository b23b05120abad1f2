using Metronome.Core.Hosting;
using Microsoft.Extensions.Options;

namespace Metronome.Storage.Postgres;

/// <summary>Checks <see cref="PostgresStoreOptions"/> when the host starts; every failure names its setting.</summary>
internal sealed class PostgresStoreOptionsValidator(SettingNames? names = null) : IValidateOptions<PostgresStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgresStoreOptions o) => new OptionsCheck<PostgresStoreOptions>(names)
        // The value is never quoted back: a connection string may hold a password.
        .That(PostgresStoreOptions.IsValidConnectionString(o.ConnectionString), nameof(o.ConnectionString), null, "must be a valid Npgsql connection string")
        .That(o.Partitioning is null || o.Partitioning.NodeTimeout > TimeSpan.Zero, nameof(o.Partitioning), o.Partitioning?.NodeTimeout,
            "node timeout must be positive")
        .That(o.Partitioning is null || o.Partitioning.TakeoverGrace > TimeSpan.Zero, nameof(o.Partitioning), o.Partitioning?.TakeoverGrace,
            "takeover grace must be positive")
        .Result;
}
