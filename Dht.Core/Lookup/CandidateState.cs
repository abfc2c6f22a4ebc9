namespace Dht.Lookup;

internal enum CandidateState : byte
{
    NotContacted,
    InFlight,
    Succeeded,
    Failed,

    /// <summary>
    /// Asked, not answered within the soft timeout: treated as failed (it no longer holds an alpha slot or a place among
    /// the k closest), but a late answer still counts.
    /// </summary>
    Slow,
}
