using Metronome.Core.Hosting;
using Microsoft.Extensions.Options;

namespace Metronome.Events.Function;

/// <summary>Checks <see cref="FunctionPoolOptions"/> when the host starts; every failure names its setting.</summary>
internal sealed class FunctionPoolOptionsValidator(SettingNames? names = null) : IValidateOptions<FunctionPoolOptions>
{
    public ValidateOptionsResult Validate(string? name, FunctionPoolOptions o) => new OptionsCheck<FunctionPoolOptions>(names)
        .That(o.Workers >= 1, nameof(o.Workers), o.Workers, "must be positive")
        .That(o.QueuePerProduct >= 0, nameof(o.QueuePerProduct), o.QueuePerProduct, "must not be negative")
        .That(o.WorkerHeapLimitMb >= 64, nameof(o.WorkerHeapLimitMb), o.WorkerHeapLimitMb, "must be at least 64")
        .That(o.MaxAttemptsPerWorker >= 1, nameof(o.MaxAttemptsPerWorker), o.MaxAttemptsPerWorker, "must be positive")
        .That(o.WorkerRecycleHeapMb >= 1, nameof(o.WorkerRecycleHeapMb), o.WorkerRecycleHeapMb, "must be positive")
        .That(o.ScriptCacheChars >= 0, nameof(o.ScriptCacheChars), o.ScriptCacheChars, "must not be negative")
        .That(o.KillGrace >= TimeSpan.Zero, nameof(o.KillGrace), o.KillGrace, "must not be negative")
        .Result;
}
