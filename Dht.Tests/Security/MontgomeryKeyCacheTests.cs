using Dht.Security;
using Dht.Tests.Protocol;
using Dht.Tests.Support;

namespace Dht.Tests.Security;

[TestClass]
public sealed class MontgomeryKeyCacheTests
{
    private static byte[] Direct(NodeId id)
    {
        var ed = new byte[32];
        id.WriteTo(ed);
        var mont = new byte[32];
        Assert.IsTrue(Curve25519Conversion.TryEdwardsToMontgomery(ed, mont));
        return mont;
    }

    [TestMethod]
    [DataRow(21UL)]
    public void TryConvert_ValidKeyTwice_SameBytesAsDirectConversionComputedOnce(ulong seed)
    {
        using var identity = BoundsFixture.IdentityFor(seed, 1);
        var cache = new MontgomeryKeyCache(4);
        var first = new byte[32];
        var second = new byte[32];
        Assert.IsTrue(cache.TryConvert(identity.Id, first), $"seed {seed}");
        Assert.IsTrue(cache.TryConvert(identity.Id, second), $"seed {seed}");
        CollectionAssert.AreEqual(Direct(identity.Id), first, $"seed {seed}");
        CollectionAssert.AreEqual(first, second, $"seed {seed}");
        Assert.AreEqual(1L, cache.Conversions, $"seed {seed}");
        Assert.AreEqual(1, cache.Count, $"seed {seed}");
    }

    [TestMethod]
    public void TryConvert_InvalidKeys_FalseAndNeverCached()
    {
        var cache = new MontgomeryKeyCache(4);
        var nonCanonical = new NodeId(Convert.FromHexString("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"));
        var one = new byte[32];
        one[0] = 1; // the neutral point: small order
        var smallOrder = new NodeId(one);
        var output = new byte[32];
        for (var round = 0; round < 2; round++)
        {
            Assert.IsFalse(cache.TryConvert(nonCanonical, output));
            Assert.IsFalse(cache.TryConvert(smallOrder, output));
        }

        Assert.AreEqual(0, cache.Count);
        Assert.AreEqual(4L, cache.Conversions, "refused keys are converted (and refused) every time");
    }

    [TestMethod]
    [DataRow(22UL)]
    public void TryConvert_MoreKeysThanCapacity_BoundedOldestReplaced(ulong seed)
    {
        var ids = new List<NodeId>();
        for (var i = 0; i < 5; i++)
        {
            using var identity = BoundsFixture.IdentityFor(seed, (ulong)i + 1);
            ids.Add(identity.Id);
        }

        var cache = new MontgomeryKeyCache(3);
        var output = new byte[32];
        foreach (var id in ids)
        {
            Assert.IsTrue(cache.TryConvert(id, output), $"seed {seed}");
            CollectionAssert.AreEqual(Direct(id), output, $"seed {seed}");
        }

        Assert.AreEqual(3, cache.Count, $"seed {seed}");
        Assert.AreEqual(5L, cache.Conversions, $"seed {seed}");

        // The last three are held; the first two were replaced, oldest first.
        for (var i = 2; i < 5; i++)
        {
            Assert.IsTrue(cache.TryConvert(ids[i], output), $"seed {seed}");
            CollectionAssert.AreEqual(Direct(ids[i]), output, $"seed {seed}");
        }

        Assert.AreEqual(5L, cache.Conversions, $"seed {seed}");
        Assert.IsTrue(cache.TryConvert(ids[0], output), $"seed {seed}");
        CollectionAssert.AreEqual(Direct(ids[0]), output, $"seed {seed}");
        Assert.AreEqual(6L, cache.Conversions, $"seed {seed}");
        Assert.AreEqual(3, cache.Count, $"seed {seed}");

        // ids[0] took the slot of ids[2], the oldest then: ids[3] and ids[4] are still held.
        Assert.IsTrue(cache.TryConvert(ids[3], output), $"seed {seed}");
        Assert.IsTrue(cache.TryConvert(ids[4], output), $"seed {seed}");
        Assert.AreEqual(6L, cache.Conversions, $"seed {seed}");
        Assert.IsTrue(cache.TryConvert(ids[2], output), $"seed {seed}");
        Assert.AreEqual(7L, cache.Conversions, $"seed {seed}");
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(-1)]
    public void Constructor_CapacityBelowOne_Throws(int capacity) =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MontgomeryKeyCache(capacity));

    [TestMethod]
    [DataRow(23UL)]
    public void Suites_SharingOneCache_DeriveTheKeysOfSuitesWithTheirOwn(ulong seed)
    {
        using var a = BoundsFixture.IdentityFor(seed, 1);
        using var b = BoundsFixture.IdentityFor(seed, 2);
        using var c = BoundsFixture.IdentityFor(seed, 3);
        var shared = new MontgomeryKeyCache(8);
        using var sharedA = new NSecCryptoSuite(a, shared);
        using var sharedB = new NSecCryptoSuite(b, shared);
        using var ownA = new NSecCryptoSuite(a);
        using var ownC = new NSecCryptoSuite(c);

        // Each pair derives twice, so the second derivation reads the shared cache.
        for (var round = 0; round < 2; round++)
        {
            Assert.IsTrue(sharedA.TryDeriveSessionKey(c.Id, out var viaShared), $"seed {seed}");
            Assert.IsTrue(ownA.TryDeriveSessionKey(c.Id, out var viaOwn), $"seed {seed}");
            Assert.IsTrue(ownC.TryDeriveSessionKey(a.Id, out var fromC), $"seed {seed}");
            CollectionAssert.AreEqual(((ReadOnlySpan<byte>)viaOwn).ToArray(), ((ReadOnlySpan<byte>)viaShared).ToArray(), $"seed {seed}");
            CollectionAssert.AreEqual(((ReadOnlySpan<byte>)fromC).ToArray(), ((ReadOnlySpan<byte>)viaShared).ToArray(), $"seed {seed}");
            Assert.IsTrue(sharedB.TryDeriveSessionKey(c.Id, out _), $"seed {seed}");
        }

        Assert.AreEqual(1L, shared.Conversions, $"c's key is converted once for both suites; seed {seed}");
        _ = SuiteKey.Derive(sharedB, a.Id);
        Assert.AreEqual(2L, shared.Conversions, $"seed {seed}");
    }
}
