namespace Dht.Protocol;

/// <summary>An output of the engine: an operation finished. Drained with <see cref="DhtEngine.TryPollEvent"/>.</summary>
internal abstract record EngineEvent(long OperationId);

internal sealed record BootstrapCompleted(long OperationId, int RoutingTableSize, int Responded) : EngineEvent(OperationId);

internal sealed record PutCompleted(long OperationId, PutResult Result) : EngineEvent(OperationId);

internal sealed record GetCompleted(long OperationId, DhtRecord? Record, int Responses) : EngineEvent(OperationId);

internal sealed record OperationFailed(long OperationId, string Reason) : EngineEvent(OperationId);
