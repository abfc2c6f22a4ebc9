using Dht.Protocol;

namespace Dht.Routing;

/// <summary>
/// The subnet an address belongs to for the routing table's diversity limits: IPv4 /24 or IPv6 /64.
/// </summary>
internal readonly record struct SubnetKey(ulong High, ulong Low)
{
    public static SubnetKey Of(PeerAddress address) =>
        address.IsIPv4 ? new SubnetKey(address.High, address.Low & ~0xFFUL) : new SubnetKey(address.High, 0);

    /// <summary>True for 127.0.0.0/8 and ::1, which the subnet limits ignore (local test networks).</summary>
    public static bool IsLoopback(PeerAddress address) =>
        address.IsIPv4 ? (uint)address.Low >> 24 == 127 : address.High == 0 && address.Low == 1;
}
