using Dht.Lookup;

namespace Dht.Protocol;

/// <summary>An output of the engine: an operation finished. Drained with <see cref="DhtEngine.TryPollEvent"/>.</summary>
internal abstract record EngineEvent(long OperationId)
{
    /// <summary>What the operation cost (messages, rounds), for metrics and the simulator.</summary>
    public OperationStats Stats { get; init; } = OperationStats.None;
}

internal sealed record BootstrapCompleted(long OperationId, int RoutingTableSize, int Responded) : EngineEvent(OperationId);

internal sealed record PutCompleted(long OperationId, PutResult Result) : EngineEvent(OperationId);

internal sealed record GetCompleted(long OperationId, DhtRecord? Record, int Responses) : EngineEvent(OperationId);

/// <summary>A FIND_NODE lookup finished: the nodes that answered, closest first (at most k).</summary>
internal sealed record LookupCompleted(long OperationId, IReadOnlyList<NodeId> Closest) : EngineEvent(OperationId);

internal sealed record OperationFailed(long OperationId, string Reason) : EngineEvent(OperationId);

/// <summary>
/// Cost of one operation. <see cref="Hops"/> is the query round of the node that answered with the value (GET) or the
/// deepest round that answered (lookup, put).
/// </summary>
internal sealed record OperationStats(int Messages, int Rounds, int Hops)
{
    public static OperationStats None { get; } = new(0, 0, 0);
}

/// <summary>
/// Receives a finished lookup operation's candidates, closest first, each with the round in which it was learned
/// (<see cref="EngineOptions.LookupDetails"/>: the simulator's recall and rounds-to-closest metrics). The span is the
/// lookup's own array, given back to the pool after the call: it must not be kept. Called in the middle of the engine's
/// work on an input: it must not throw or call the engine.
/// </summary>
internal delegate void LookupDetailsSink(long operationId, NodeId target, ReadOnlySpan<LookupCandidate> candidates);
