namespace Dht.Protocol;

internal enum RequestPurpose : byte
{
    /// <summary>A lookup step of an operation.</summary>
    Lookup,

    /// <summary>A STORE of a PUT, republish or replication.</summary>
    Store,

    /// <summary>A PING to an unknown node that contacted us (it enters the table only if it answers).</summary>
    Verify,

    /// <summary>A PING to the oldest contact of a full bucket (ping before evict).</summary>
    EvictionCheck,
}
