namespace Metronome.Core.Engine;

/// <summary>
/// The engine's chores in start order (they stop in reverse): on a single node the pruner; in a cluster the leader election,
/// the rescue of dead nodes' runs, pruning, the schedule change listener and the node's presence confirmations. Chosen when
/// the engine is resolved (see <see cref="Hosting.MetronomeServiceCollectionExtensions"/>), by whether the store is an
/// <see cref="Storage.IClusterStore"/>.
/// </summary>
/// <param name="Membership">In a cluster, the heartbeat: started first and stopped last, once this node's runs are settled or
/// handed back (its stop removes the node, so the leader takes the handed-back runs over at once).</param>
internal sealed record EngineChores(IReadOnlyList<EngineService> Services, EngineService? Membership = null);
