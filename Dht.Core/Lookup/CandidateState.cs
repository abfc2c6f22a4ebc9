namespace Dht.Lookup;

internal enum CandidateState : byte
{
    NotContacted,
    InFlight,
    Succeeded,
    Failed,
}
