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

/// <summary>
/// What the event loop reads on every wake-up of a node, kept for all nodes in one array the world owns
/// (<see cref="SimNode"/> forwards to it): a wake-up then loads its slot and the engine, not also the node object.
/// A profile of wake-ups at 10^5 nodes found them stalled on the chain node-list slot → node → engine
/// (docs/benchmarks.md).
/// </summary>
/// <remarks>The engine itself is in another array (<see cref="SimWorld"/>'s engine array): 8 bytes per node, small
/// enough to stay in cache, so that the loop can find the next event's engine without waiting for memory.</remarks>
internal struct NodeHot
{
    /// <summary>Global time of the pending wake-up event, long.MaxValue when none.</summary>
    public long ScheduledWake;

    /// <summary>Clock rate of the node relative to true time (1 + drift).</summary>
    public double ClockRate;

    public NodeState State;

    public readonly Instant LocalTime(long globalTicks) => new((long)(globalTicks * ClockRate));

    public readonly long GlobalTicks(Instant local) => local.Ticks == long.MaxValue ? long.MaxValue : (long)Math.Ceiling(local.Ticks / ClockRate);
}

/// <summary>
/// What a datagram's delivery and transmission read about its two nodes (addresses, position in the latency model,
/// NAT), kept for all nodes in one array the world owns (<see cref="SimNode"/> forwards to it), so a datagram reads a
/// slot of this array per node rather than the node list and two node objects.
/// </summary>
internal struct NodeNet
{
    public PeerAddress Address;

    public double AccessDelayMs;

    /// <summary>
    /// The node's position as a point on the unit sphere (x toward latitude 0, longitude 0; z toward the north pole),
    /// computed once when the node is placed: the great-circle distance of every datagram then needs only basic
    /// operations and one arcsine (<see cref="SimWorld"/>'s latency model).
    /// </summary>
    public double X;

    public double Y;

    public double Z;

    public bool BehindNat;
}

/// <summary>One simulated node: identity, position in the network model, its engine while it is up.</summary>
internal sealed class SimNode
{
    private readonly NodeHot[] _hot;
    private readonly NodeNet[] _net;
    private readonly DhtEngine?[] _engines;

    /// <param name="index">The node's position in the world's node list and in <paramref name="hot"/>, <paramref name="net"/> and <paramref name="engines"/>.</param>
    /// <param name="id">The node's id.</param>
    /// <param name="crypto">The node's crypto suite (real or modeled).</param>
    /// <param name="address">The node's address in the simulated network.</param>
    /// <param name="hot">The world's array of per-node loop state.</param>
    /// <param name="net">The world's array of per-node network state.</param>
    /// <param name="engines">The world's array of engines (null while the node is not running).</param>
    public SimNode(int index, NodeId id, ICryptoSuite crypto, PeerAddress address, NodeHot[] hot, NodeNet[] net, DhtEngine?[] engines)
    {
        Index = index;
        Id = id;
        Crypto = crypto;
        _hot = hot;
        _net = net;
        _engines = engines;
        _hot[index] = new NodeHot { ScheduledWake = long.MaxValue, ClockRate = 1.0 };
        _net[index] = new NodeNet { Address = address, X = 1.0 };
    }

    public int Index { get; }

    public NodeId Id { get; }

    public ICryptoSuite Crypto { get; }

    public PeerAddress Address => _net[Index].Address;

    public DhtEngine? Engine
    {
        get => _engines[Index];
        set => _engines[Index] = value;
    }

    public NodeState State
    {
        get => _hot[Index].State;
        set => _hot[Index].State = value;
    }

    /// <summary>Position in the list of up nodes (for O(1) uniform sampling), -1 when not up.</summary>
    public int UpSlot { get; set; } = -1;

    /// <summary>Global time of the pending wake-up event, long.MaxValue when none.</summary>
    public long ScheduledWake
    {
        get => _hot[Index].ScheduledWake;
        set => _hot[Index].ScheduledWake = value;
    }

    /// <summary>Clock rate of this node relative to true time (1 + drift).</summary>
    public double ClockRate
    {
        get => _hot[Index].ClockRate;
        set => _hot[Index].ClockRate = value;
    }

    public double AccessDelayMs
    {
        get => _net[Index].AccessDelayMs;
        set => _net[Index].AccessDelayMs = value;
    }

    /// <summary>Latitude in degrees (set with <see cref="SetPosition"/>).</summary>
    public double Latitude { get; private set; }

    /// <summary>Longitude in degrees (set with <see cref="SetPosition"/>).</summary>
    public double Longitude { get; private set; }

    /// <summary>Places the node at (<paramref name="latitude"/>, <paramref name="longitude"/>) degrees for the latency model.</summary>
    public void SetPosition(double latitude, double longitude)
    {
        Latitude = latitude;
        Longitude = longitude;
        var phi = latitude * SimWorld.DegreesToRadians;
        var lambda = longitude * SimWorld.DegreesToRadians;
        var cosPhi = DeterministicMath.Cos(phi);
        ref var net = ref _net[Index];
        net.X = cosPhi * DeterministicMath.Cos(lambda);
        net.Y = cosPhi * DeterministicMath.Sin(lambda);
        net.Z = DeterministicMath.Sin(phi);
    }

    public bool BehindNat
    {
        get => _net[Index].BehindNat;
        set => _net[Index].BehindNat = value;
    }

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

    public Instant LocalTime(long globalTicks) => _hot[Index].LocalTime(globalTicks);

    public long GlobalTicks(Instant local) => _hot[Index].GlobalTicks(local);
}
