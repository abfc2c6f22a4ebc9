using Dht.Protocol;
using Dht.Security;

namespace Dht.Simulator.World;

internal enum NodeState : byte
{
    NotJoined,
    Up,
    Down,
    Dead,
}

/// <summary>One simulated node: identity, position in the network model, its engine while it is up.</summary>
internal sealed class SimNode(int index, NodeId id, ICryptoSuite crypto, PeerAddress address)
{
    public int Index { get; } = index;

    public NodeId Id { get; } = id;

    public ICryptoSuite Crypto { get; } = crypto;

    public PeerAddress Address { get; } = address;

    public DhtEngine? Engine { get; set; }

    public NodeState State { get; set; }

    /// <summary>Position in the list of up nodes (for O(1) uniform sampling), -1 when not up.</summary>
    public int UpSlot { get; set; } = -1;

    /// <summary>Global time of the pending wake-up event, long.MaxValue when none.</summary>
    public long ScheduledWake { get; set; } = long.MaxValue;

    /// <summary>Clock rate of this node relative to true time (1 + drift).</summary>
    public double ClockRate { get; set; } = 1.0;

    public double AccessDelayMs { get; set; }

    public double Latitude { get; set; }

    public double Longitude { get; set; }

    public bool BehindNat { get; set; }

    /// <summary>NAT mappings: peer index → global ticks until which the peer may send to this node.</summary>
    public Dictionary<int, long>? NatMappings { get; set; }

    public int Restarts { get; set; }

    /// <summary>Bootstraps started by the current incarnation (the first, then retries while the table stays small).</summary>
    public int BootstrapAttempts { get; set; }

    /// <summary>GETs this node started after its latest restart that completed, and how many of them succeeded.</summary>
    public int GetsSinceRestart { get; set; }

    public int GetsSinceRestartSucceeded { get; set; }

    /// <summary>Burst-loss state of this node's outgoing path (Gilbert-Elliott).</summary>
    public bool InBurst { get; set; }

    public Instant LocalTime(long globalTicks) => new((long)(globalTicks * ClockRate));

    public long GlobalTicks(Instant local) => local.Ticks == long.MaxValue ? long.MaxValue : (long)Math.Ceiling(local.Ticks / ClockRate);
}
