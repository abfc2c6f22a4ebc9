using Dht.Protocol;

namespace Dht.Tests.Identity;

[TestClass]
public sealed class NodeIdTests
{
    [TestMethod]
    [DataRow(1UL)]
    [DataRow(99UL)]
    public void Xor_IsSymmetricAndSelfInverse(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        for (var i = 0; i < 200; i++)
        {
            var a = rng.NextNodeId();
            var b = rng.NextNodeId();
            Assert.AreEqual(a.Xor(b), b.Xor(a), $"seed {seed}");
            Assert.AreEqual(a, a.Xor(b).Xor(b), $"seed {seed}");
            Assert.IsTrue(a.Xor(a).IsZero, $"seed {seed}");
        }
    }

    [TestMethod]
    [DataRow(7UL)]
    public void CommonPrefixLength_MatchesBitByBitCount(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        for (var i = 0; i < 300; i++)
        {
            var a = rng.NextNodeId();
            var b = a.FlipBit(rng.NextInt32(256));
            var expected = 0;
            while (expected < 256 && a.GetBit(expected) == b.GetBit(expected))
            {
                expected++;
            }

            Assert.AreEqual(expected, a.CommonPrefixLength(b), $"seed {seed}");
        }

        var x = rng.NextNodeId();
        Assert.AreEqual(256, x.CommonPrefixLength(x));
    }

    [TestMethod]
    public void ParseToString_RoundTrip_AndBadInputRejected()
    {
        var hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        Assert.AreEqual(hex, NodeId.Parse(hex).ToString());
        Assert.ThrowsExactly<FormatException>(() => NodeId.Parse("abc"));
        Assert.ThrowsExactly<FormatException>(() => NodeId.Parse(new string('z', 64)));
        Assert.IsFalse(NodeId.TryParse(hex + "00", out _));
        Assert.ThrowsExactly<ArgumentException>(() => new NodeId(new byte[31]));
    }

    [TestMethod]
    public void CompareTo_IsBigEndianOrder()
    {
        var low = NodeId.Parse("00" + new string('f', 62));
        var high = NodeId.Parse("01" + new string('0', 62));
        Assert.IsLessThan(0, low.CompareTo(high));
        Assert.IsTrue(low < high);
    }

    [TestMethod]
    public void CompareDistance_OrdersByXorToTarget()
    {
        var target = NodeId.Parse(new string('0', 64));
        var near = NodeId.Parse(new string('0', 63) + "1");
        var far = NodeId.Parse("8" + new string('0', 63));
        Assert.IsLessThan(0, NodeId.CompareDistance(near, far, target));
        Assert.IsGreaterThan(0, NodeId.CompareDistance(far, near, target));
        Assert.AreEqual(0, NodeId.CompareDistance(far, far, target));
    }
}
