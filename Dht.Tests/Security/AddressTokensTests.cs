using Dht.Protocol;
using Dht.Security;
using Dht.Tests.Support;
using Dht.Wire;

namespace Dht.Tests.Security;

/// <summary>Address tokens: bound to (id, address, port), valid across one rotation, not two, and private to each node.</summary>
[TestClass]
public sealed class AddressTokensTests
{
    private static readonly TimeSpan Rotation = TimeSpan.FromMinutes(5);
    private static readonly Instant T0 = Instant.FromSeconds(1000);
    private static readonly PeerAddress Here = PeerAddress.FromIPv4([198, 51, 100, 7], 6881);

    private static DhtIdentity Identity(byte b)
    {
        var seed = new byte[DhtIdentity.SeedSize];
        seed.AsSpan().Fill(b);
        return DhtIdentity.FromSeed(seed);
    }

    private static NodeId Requester(ulong seed) => new Xoshiro256(seed).NextNodeId();

    [TestMethod]
    [DataRow(401UL)]
    public void Verify_TokenBoundToIdAddressAndPort_OnlyExactTripleAccepted(ulong seed)
    {
        using var identity = Identity(1);
        using var crypto = new NSecCryptoSuite(identity);
        var tokens = new AddressTokens(crypto, seed, Rotation, T0);
        var id = Requester(seed);
        var token = tokens.Issue(id, Here, T0);

        Assert.IsTrue(tokens.Verify(token, id, Here, T0), $"seed {seed}");
        Assert.IsFalse(tokens.Verify(token, Requester(seed + 1), Here, T0), $"other id; seed {seed}");
        Assert.IsFalse(tokens.Verify(token, id, PeerAddress.FromIPv4([198, 51, 100, 8], 6881), T0), $"other IPv4; seed {seed}");
        Assert.IsFalse(tokens.Verify(token, id, PeerAddress.FromIPv4([198, 51, 100, 7], 6882), T0), $"other port; seed {seed}");
        Assert.IsFalse(tokens.Verify(token, id, new PeerAddress(0x20010db800000000UL, 0xc63364070000UL, 6881), T0), $"IPv6; seed {seed}");
        Assert.IsFalse(tokens.Verify(token ^ 1, id, Here, T0), $"flipped bit; seed {seed}");
        Assert.AreEqual(token, tokens.Issue(id, Here, T0 + TimeSpan.FromMinutes(4)), $"same secret within a period; seed {seed}");
    }

    [TestMethod]
    [DataRow(402UL)]
    public void Verify_AcrossRotations_ValidAfterOneInvalidAfterTwo(ulong seed)
    {
        using var identity = Identity(2);
        using var crypto = new NSecCryptoSuite(identity);
        var tokens = new AddressTokens(crypto, seed, Rotation, T0);
        var id = Requester(seed);
        var token = tokens.Issue(id, Here, T0);

        var afterOne = T0 + Rotation;
        Assert.IsTrue(tokens.Verify(token, id, Here, afterOne), $"previous secret still accepted; seed {seed}");
        var fresh = tokens.Issue(id, Here, afterOne);
        Assert.AreNotEqual(token, fresh, $"the secret rotated; seed {seed}");

        var afterTwo = afterOne + Rotation;
        Assert.IsFalse(tokens.Verify(token, id, Here, afterTwo), $"two rotations later; seed {seed}");
        Assert.IsTrue(tokens.Verify(fresh, id, Here, afterTwo), $"issued one rotation ago; seed {seed}");
    }

    [TestMethod]
    [DataRow(403UL)]
    public void Verify_IdleOneToTwoPeriods_PreviousKept(ulong seed)
    {
        using var identity = Identity(3);
        using var crypto = new NSecCryptoSuite(identity);
        var tokens = new AddressTokens(crypto, seed, Rotation, T0);
        var id = Requester(seed);
        var token = tokens.Issue(id, Here, T0);
        Assert.IsTrue(tokens.Verify(token, id, Here, T0 + (Rotation * 1.9)), $"seed {seed}");
    }

    [TestMethod]
    [DataRow(404UL, 2.0)]
    [DataRow(404UL, 2.5)]
    [DataRow(405UL, 1000.0)]
    public void Verify_AfterLongIdleGap_BothSecretsRenewed(ulong seed, double periods)
    {
        using var identity = Identity(4);
        using var crypto = new NSecCryptoSuite(identity);
        var tokens = new AddressTokens(crypto, seed, Rotation, T0);
        var id = Requester(seed);
        var early = tokens.Issue(id, Here, T0);
        var late = tokens.Issue(id, Here, T0 + (Rotation * 0.99));
        Assert.AreEqual(early, late, $"same period; seed {seed}");

        // Without any call in between, the secret current at the start of the gap is not kept as "previous".
        var after = T0 + (Rotation * periods);
        Assert.IsFalse(tokens.Verify(late, id, Here, after), $"{periods} periods idle; seed {seed}");
        var fresh = tokens.Issue(id, Here, after);
        Assert.AreNotEqual(late, fresh, $"seed {seed}");
        Assert.IsTrue(tokens.Verify(fresh, id, Here, after + Rotation), $"seed {seed}");
    }

    [TestMethod]
    [DataRow(406UL)]
    public void Issue_DifferentSeedOrIdentity_DifferentTokensSameInputsSameToken(ulong seed)
    {
        using var identityA = Identity(5);
        using var identityB = Identity(6);
        using var cryptoA = new NSecCryptoSuite(identityA);
        using var cryptoA2 = new NSecCryptoSuite(identityA);
        using var cryptoB = new NSecCryptoSuite(identityB);
        var id = Requester(seed);
        var a = new AddressTokens(cryptoA, seed, Rotation, T0).Issue(id, Here, T0);
        var again = new AddressTokens(cryptoA2, seed, Rotation, T0).Issue(id, Here, T0);
        var otherSeed = new AddressTokens(cryptoA, seed + 1, Rotation, T0).Issue(id, Here, T0);
        var otherIdentity = new AddressTokens(cryptoB, seed, Rotation, T0).Issue(id, Here, T0);

        Assert.AreEqual(a, again, $"deterministic; seed {seed}");
        Assert.AreNotEqual(a, otherSeed, $"seed {seed}");
        Assert.AreNotEqual(a, otherIdentity, $"seed {seed}");
        Assert.IsFalse(new AddressTokens(cryptoB, seed, Rotation, T0).Verify(a, id, Here, T0), $"seed {seed}");
    }

    [TestMethod]
    [DataRow(407UL)]
    public void HandleDatagram_TokenFromOtherEngine_DifferentAndRejectedForStore(ulong seed)
    {
        using var idA = Identity(7);
        using var idB = Identity(8);
        using var peerIdentity = Identity(9);
        using var cryptoA = new NSecCryptoSuite(idA);
        using var cryptoB = new NSecCryptoSuite(idB);
        using var engineA = new DhtEngine(VirtualNetwork.TestOptions(), cryptoA, seed, T0);
        using var engineB = new DhtEngine(VirtualNetwork.TestOptions(), cryptoB, seed + 1, T0);
        using var toA = new WirePeer(peerIdentity, engineA.LocalId, Here, seed);
        using var toB = new WirePeer(peerIdentity, engineB.LocalId, Here, seed + 1);

        var tokenA = PongToken(engineA, toA, seed);
        var tokenB = PongToken(engineB, toB, seed);
        Assert.AreNotEqual(tokenA, tokenB, $"seed {seed}");

        var store = new Message { Type = MessageType.Store, RequestId = 7, HasToken = true, Token = tokenA, TtlSeconds = 600, Record = DhtRecord.CreateImmutable("x"u8.ToArray()) };
        engineB.HandleDatagram(T0, Here, toB.Seal(store));
        var answer = toB.OpenMessage(WirePeer.Drain(engineB).First(d => d.To == Here).Data, $"seed {seed}");
        Assert.AreEqual(ErrorCode.InvalidToken, answer.Error, $"A's token at B; seed {seed}");
        Assert.AreEqual(0, engineB.StoredRecords, $"seed {seed}");

        store.RequestId = 8;
        engineA.HandleDatagram(T0, Here, toA.Seal(store));
        var stored = toA.OpenMessage(WirePeer.Drain(engineA).First(d => d.To == Here).Data, $"seed {seed}");
        Assert.AreEqual(MessageType.Stored, stored.Type, $"positive control; seed {seed}");
        Assert.AreEqual(1, engineA.StoredRecords, $"seed {seed}");
    }

    private static UInt128 PongToken(DhtEngine engine, WirePeer peer, ulong seed)
    {
        engine.HandleDatagram(T0, peer.Address, peer.Seal(new Message { Type = MessageType.Ping, RequestId = 1 }));
        var pong = WirePeer.Drain(engine).Where(d => d.To == peer.Address).Select(d => peer.OpenMessage(d.Data, $"seed {seed}")).First(m => m.Type == MessageType.Pong);
        Assert.IsTrue(pong.HasToken, $"seed {seed}");
        return pong.Token;
    }
}
