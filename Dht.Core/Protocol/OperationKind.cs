namespace Dht.Protocol;

internal enum OperationKind : byte
{
    Bootstrap,
    Refresh,
    Put,
    Get,
    Replicate,
    Lookup,
}
