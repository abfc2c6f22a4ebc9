using Dht.Protocol;
using Dht.Security;
using Dht.Simulator.Crypto;
using Dht.Tests.Protocol;

namespace Dht.Tests.Simulator;

[TestClass]
public sealed class SharedAgreementSuiteTests
{
    private static byte[] Bytes(in SessionKey key) => ((ReadOnlySpan<byte>)key).ToArray();

    private static SessionKey Key(byte fill)
    {
        var key = default(SessionKey);
        ((Span<byte>)key).Fill(fill);
        return key;
    }

    [TestMethod]
    [DataRow(31UL)]
    public void Pair_SecondEndTakesTheFirstEndsKey_SameAsItsOwnDerivation(ulong seed)
    {
        using var a = BoundsFixture.IdentityFor(seed, 1);
        using var b = BoundsFixture.IdentityFor(seed, 2);
        var memo = new SessionKeyMemo(16);
        var keys = new MontgomeryKeyCache(16);
        using var suiteA = new SharedAgreementSuite(new NSecCryptoSuite(a, keys), memo);
        using var suiteB = new SharedAgreementSuite(new NSecCryptoSuite(b, keys), memo);
        using var plainB = new NSecCryptoSuite(b);

        Assert.IsTrue(suiteA.TryDeriveSessionKey(b.Id, out var ab), $"seed {seed}");
        Assert.AreEqual(1, memo.Count, $"seed {seed}");
        Assert.IsTrue(suiteB.TryDeriveSessionKey(a.Id, out var ba), $"seed {seed}");
        Assert.AreEqual(1L, memo.Taken, $"seed {seed}");
        Assert.AreEqual(0, memo.Count, "a key is taken once and removed");
        Assert.IsTrue(plainB.TryDeriveSessionKey(a.Id, out var own), $"seed {seed}");
        CollectionAssert.AreEqual(Bytes(own), Bytes(ba), $"seed {seed}");
        CollectionAssert.AreEqual(Bytes(ab), Bytes(ba), $"seed {seed}");

        // Deriving again (after a session left) computes the key again and leaves it for the other end once more.
        Assert.IsTrue(suiteB.TryDeriveSessionKey(a.Id, out var again), $"seed {seed}");
        CollectionAssert.AreEqual(Bytes(own), Bytes(again), $"seed {seed}");
        Assert.AreEqual(1, memo.Count, $"seed {seed}");
    }

    [TestMethod]
    public void TryDerive_RefusedRemote_FalseAndNothingLeft()
    {
        using var a = DhtIdentity.Generate();
        var memo = new SessionKeyMemo(4);
        using var suite = new SharedAgreementSuite(new NSecCryptoSuite(a), memo);
        var one = new byte[32];
        one[0] = 1;
        Assert.IsFalse(suite.TryDeriveSessionKey(new NodeId(one), out _));
        Assert.IsFalse(suite.TryDeriveSessionKey(a.Id, out _));
        Assert.AreEqual(0, memo.Count);
    }

    [TestMethod]
    [DataRow(32UL)]
    public void Memo_MoreKeysThanCapacity_OldestReplaced(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var ids = Enumerable.Range(0, 6).Select(_ => rng.NextNodeId()).ToArray();
        var memo = new SessionKeyMemo(2);
        memo.Put(ids[0], ids[1], Key(1));
        memo.Put(ids[2], ids[3], Key(2));
        memo.Put(ids[4], ids[5], Key(3));
        Assert.AreEqual(2, memo.Count, $"seed {seed}");
        Assert.IsFalse(memo.TryTake(ids[1], ids[0], out _), $"seed {seed}");
        Assert.IsTrue(memo.TryTake(ids[3], ids[2], out var second), $"seed {seed}");
        CollectionAssert.AreEqual(Bytes(Key(2)), Bytes(second), $"seed {seed}");
        Assert.IsTrue(memo.TryTake(ids[4], ids[5], out var third), "either end may take it");
        CollectionAssert.AreEqual(Bytes(Key(3)), Bytes(third), $"seed {seed}");
        Assert.AreEqual(0, memo.Count, $"seed {seed}");
        Assert.IsFalse(memo.TryTake(ids[4], ids[5], out _), $"seed {seed}");
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(-5)]
    public void Memo_CapacityBelowOne_Throws(int capacity) =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SessionKeyMemo(capacity));
}
