namespace Dht.Simulator.World;

internal enum WorkloadKind
{
    Put,
    Get,
    SignedPut,
    Lookup,
}
