using Dht.Protocol;
using Dht.Routing;

namespace Dht.Tests.Routing;

/// <summary>Ids, addresses and tables for the routing tests.</summary>
internal static class RoutingFixtures
{
    public static readonly NodeId Local = NodeId.Parse("a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5");

    public static Instant At(double seconds) => Instant.FromSeconds(seconds);

    /// <summary>A distinct id in bucket <paramref name="cpl"/> (below 192) of <see cref="Local"/>.</summary>
    public static NodeId IdInBucket(int cpl, ulong n) => Local.FlipBit(cpl).Xor(new NodeId(0, 0, 0, n));

    /// <summary>10.(i / 256).(i % 256).1: a different /24 for every i below 65536.</summary>
    public static PeerAddress V4(int i, byte host = 1) => PeerAddress.FromIPv4([10, (byte)(i >> 8), (byte)i, host], 4000);

    public static PeerAddress V4(byte a, byte b, byte c, byte d) => PeerAddress.FromIPv4([a, b, c, d], 4000);

    public static PeerAddress V6(ulong high, ulong low) => new(high, low, 4000);

    public static RoutingOptions SmallOptions() => new()
    {
        K = 4,
        ReplacementCacheSize = 3,
        MaxFailuresBeforeEviction = 2,
        PingOldestAfter = TimeSpan.FromMinutes(1),
        MaxContactsPerSubnetPerBucket = 0,
        MaxContactsPerSubnetInTable = 0,
    };

    public static RoutingTable SmallTable() => new(Local, SmallOptions());

    /// <summary>Fills bucket <paramref name="cpl"/> with ids 1..n seen at seconds 1..n, each from its own /24.</summary>
    public static void Fill(ref RoutingTable table, int cpl, int n)
    {
        for (var i = 1; i <= n; i++)
        {
            var result = table.OnVerifiedReply(IdInBucket(cpl, (ulong)i), V4((cpl * 256) + i), At(i), null);
            Assert.AreEqual(AdmitOutcome.Added, result.Outcome, $"contact {i} of bucket {cpl}");
        }
    }

    public static List<NodeId> ContactIds(RoutingTable table) => table.AllContacts().Select(c => c.Id).ToList();
}
