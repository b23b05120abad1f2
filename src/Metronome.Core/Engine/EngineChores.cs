namespace Metronome.Core.Engine;

/// <summary>
/// The engine's chores in start order (they stop in reverse): on a single node the pruner; in a cluster the heartbeat, the
/// leader election, the rescue of dead nodes' runs, pruning, the schedule change listener and the node's presence. Chosen when the engine is
/// resolved (see <see cref="Hosting.MetronomeServiceCollectionExtensions"/>), by whether the store is an <see cref="Storage.IClusterStore"/>.
/// </summary>
internal sealed record EngineChores(IReadOnlyList<EngineService> Services);
