using Dht.Protocol;
using Dht.Security;
using Dht.Tests.Support;
using Dht.Wire;

namespace Dht.Tests.Protocol;

/// <summary>
/// Hostile datagrams fed to a real engine: each is dropped with its specific reason, counted once, answered with
/// nothing, and leaves the routing table and the record store untouched. Nothing throws.
/// </summary>
[TestClass]
public sealed class BadInputTests
{
    private static readonly PeerAddress PeerAddress1 = PeerAddress.FromIPv4([192, 0, 2, 50], 7000);
    private static readonly PeerAddress OtherAddress = PeerAddress.FromIPv4([192, 0, 2, 51], 7000);

    private static Message Ping(ulong requestId = 0x0102030405060708UL) => new() { Type = MessageType.Ping, RequestId = requestId };

    [TestMethod]
    [DataRow(21UL)]
    public void HandleDatagram_FramingErrors_DroppedWithReason(ulong seed)
    {
        using var f = new Fixture(seed);
        var valid = f.Peer.Seal(Ping());
        f.AssertDropped([], DropReason.Empty, "empty");
        f.AssertDropped([WireConstants.Version], DropReason.TooShort, "1 byte");
        f.AssertDropped(new byte[WireConstants.MaxDatagramSize + 1], DropReason.TooLarge, "1281 zero bytes");
        var large = f.Peer.Seal(Ping(), padding: WireConstants.MaxDatagramSize + 1 - valid.Length);
        f.AssertDropped(large, DropReason.TooLarge, "1281-byte sealed PING");
        foreach (var version in new byte[] { 0x00, 0x02, 0xFF })
        {
            var wrong = (byte[])valid.Clone();
            wrong[0] = version;
            f.AssertDropped(wrong, DropReason.UnknownVersion, $"version {version}");
        }

        foreach (var type in new byte[] { 0x00, 0x04, 0x81, 0xFF })
        {
            var wrong = (byte[])valid.Clone();
            wrong[1] = type;
            f.AssertDropped(wrong, DropReason.UnknownPacketType, $"packet type {type}");
        }
    }

    [TestMethod]
    [DataRow(22UL)]
    public void HandleDatagram_SealedTruncatedAtEveryOffset_EachDroppedThenFullAccepted(ulong seed)
    {
        using var f = new Fixture(seed);
        var request = new Message { Type = MessageType.FindNode, RequestId = 99, Target = f.Peer.Id };
        var full = f.Peer.Seal(request, padding: DhtEngine.MinUnvalidatedRequestSize - WireConstants.SealedOverhead - 42);
        Assert.AreEqual(DhtEngine.MinUnvalidatedRequestSize, full.Length, $"seed {seed}");
        for (var length = 0; length < full.Length; length++)
        {
            var expected = length switch
            {
                0 => DropReason.Empty,
                < WireConstants.SealedOverhead + 10 => DropReason.TooShort,
                _ => DropReason.DecryptFailed,
            };
            f.AssertDropped(full[..length], expected, $"truncated to {length}");
        }

        // The truncations poisoned nothing: the whole datagram (same nonce) is still accepted and answered.
        f.Peer.Send(f.Engine, f.Now, full);
        Assert.AreEqual(0, f.Engine.Stats.Dropped(DropReason.Replay), $"seed {seed}");
        var replies = WirePeer.Drain(f.Engine).Where(d => d.To == f.Peer.Address).ToList();
        Assert.IsNotEmpty(replies, $"seed {seed}");
        Assert.AreEqual(MessageType.Nodes, f.Peer.OpenMessage(replies[0].Data, $"seed {seed}").Type);
    }

    [TestMethod]
    [DataRow(23UL)]
    public void HandleDatagram_BadSenderIds_DroppedWithReason(ulong seed)
    {
        using var f = new Fixture(seed);
        var plaintext = WirePeer.Encode(Ping());
        var zero = WirePeer.Seal(f.Peer.Key, default, f.Peer.NextNonce(), plaintext);
        f.AssertDropped(zero, DropReason.ZeroSenderId, "zero sender");
        var self = WirePeer.Seal(f.Peer.Key, f.Engine.LocalId, f.Peer.NextNonce(), plaintext);
        f.AssertDropped(self, DropReason.SelfSenderId, "own id as sender");
    }

    [TestMethod]
    [DataRow(24UL, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")] // y = 2^255 - 1 >= p
    [DataRow(24UL, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")] // y = p: non-canonical zero
    [DataRow(24UL, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")] // y = p + 1, sign bit set
    [DataRow(24UL, "0100000000000000000000000000000000000000000000000000000000000000")] // y = 1: the neutral point, u undefined
    [DataRow(24UL, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")] // y = p - 1: u = 0
    [DataRow(24UL, "0000000000000000000000000000000000000000000000000000000000000080")] // y = 0, x sign: u = 1, low order
    public void HandleDatagram_SenderNotAUsableKey_InvalidSenderKey(ulong seed, string senderHex)
    {
        using var f = new Fixture(seed);
        var sender = new NodeId(Convert.FromHexString(senderHex));
        Assert.IsFalse(f.Crypto.TryDeriveSessionKey(sender, out _), $"{senderHex} must not yield a session key; seed {seed}");
        var datagram = WirePeer.Seal(f.Peer.Key, sender, f.Peer.NextNonce(), WirePeer.Encode(Ping()));
        f.AssertDropped(datagram, DropReason.InvalidSenderKey, $"sender {senderHex}");
        Assert.AreEqual(0, f.Engine.SessionCount, $"no session kept; seed {seed}");
    }

    [TestMethod]
    [DataRow(25UL)]
    public void HandleDatagram_SealedByOtherIdentityThanClaimed_DecryptFailed(ulong seed)
    {
        using var f = new Fixture(seed);
        using var impostor = new WirePeer(DhtIdentity.Generate(), f.Engine.LocalId, PeerAddress1, seed + 1);
        var forged = WirePeer.Seal(impostor.Key, f.Peer.Id, impostor.NextNonce(), WirePeer.Encode(Ping()));
        f.AssertDropped(forged, DropReason.DecryptFailed, "A's key, B's id");
        var tampered = f.Peer.Seal(Ping());
        tampered[20] ^= 1; // header is associated data: flipping a sender-id bit breaks the tag (or names another key)
        f.AssertDropped(tampered, DropReason.DecryptFailed, DropReason.InvalidSenderKey, "header bit flip");
        var body = f.Peer.Seal(Ping());
        body[^1] ^= 0x80;
        f.AssertDropped(body, DropReason.DecryptFailed, "tag bit flip");
    }

    [TestMethod]
    [DataRow(26UL)]
    public void HandleDatagram_SameDatagramTwice_SecondIsReplay(ulong seed)
    {
        using var f = new Fixture(seed);
        var datagram = f.Peer.Seal(Ping());
        f.Peer.Send(f.Engine, f.Now, datagram);
        Assert.AreEqual(0, f.Engine.Stats.DroppedTotal, $"first copy accepted; seed {seed}");
        var pong = WirePeer.Drain(f.Engine).First(d => d.To == f.Peer.Address);
        Assert.AreEqual(MessageType.Pong, f.Peer.OpenMessage(pong.Data, $"seed {seed}").Type);
        f.AssertDropped(datagram, DropReason.Replay, "second copy");
    }

    [TestMethod]
    [DataRow(27UL)]
    public void HandleDatagram_BadPlaintextInValidSeal_DroppedWithReason(ulong seed)
    {
        using var f = new Fixture(seed);
        var unsolicited = new Message { Type = MessageType.Pong, RequestId = 0xDEADBEEFUL, ObservedAddress = PeerAddress1 };
        f.AssertDropped(f.Peer.Seal(unsolicited), DropReason.UnexpectedResponse, "PONG matching no request");
        f.AssertDropped(f.Peer.SealPlaintext([.. WirePeer.Encode(Ping()), 0x00, 0x01]), DropReason.TrailingGarbage, "non-zero trailing plaintext");
        f.AssertDropped(f.Peer.SealPlaintext([0x05, .. new byte[9]]), DropReason.UnknownMessageType, "message type 0x05");
        f.AssertDropped(f.Peer.SealPlaintext([0x02, .. new byte[9]]), DropReason.Truncated, "FIND_NODE without target");
    }

    [TestMethod]
    [DataRow(28UL)]
    public void HandleDatagram_ResponseFromWrongAddress_DroppedThenRightAddressAccepted(ulong seed)
    {
        using var f = new Fixture(seed);
        f.Engine.StartBootstrap(f.Now, [(PeerAddress1, (NodeId?)f.Peer.Id)]);
        var request = WirePeer.Drain(f.Engine).Single(d => d.To == PeerAddress1);
        var findNode = f.Peer.OpenMessage(request.Data, $"seed {seed}");
        Assert.AreEqual(MessageType.FindNode, findNode.Type, $"seed {seed}");
        var nodes = new Message { Type = MessageType.Nodes, RequestId = findNode.RequestId, Total = 1 };
        f.AssertDropped(f.Peer.Seal(nodes), DropReason.ResponseFromWrongAddress, "NODES from another address", from: OtherAddress);

        // Positive control: the same answer from the address asked is accepted and admits the peer.
        f.Peer.Send(f.Engine, f.Now, f.Peer.Seal(nodes));
        Assert.AreEqual(1, f.Engine.RoutingTableSize, $"{string.Join(",", f.Engine.Stats.DropsByReason())}; seed {seed}");
    }

    [TestMethod]
    [DataRow(29UL)]
    public void HandleDatagram_BadProbesAndIdentities_DroppedWithReason(ulong seed)
    {
        using var f = new Fixture(seed);
        foreach (var size in new[] { 2, 10, WireConstants.ProbeSize - 1 })
        {
            f.AssertDropped(WirePeer.WhoAreYou(7, size), DropReason.ProbeTooSmall, $"WHOAREYOU of {size} bytes");
        }

        var dirty = WirePeer.WhoAreYou(7);
        dirty[^1] = 1;
        f.AssertDropped(dirty, DropReason.TrailingGarbage, "WHOAREYOU with non-zero padding");
        f.AssertDropped(WirePeer.IdentityReply(7, f.Peer.Id), DropReason.UnexpectedResponse, "unsolicited IDENTITY");
        f.AssertDropped(WirePeer.IdentityReply(7, f.Peer.Id)[..^1], DropReason.Truncated, "short IDENTITY");
        f.AssertDropped([.. WirePeer.IdentityReply(7, f.Peer.Id), 0], DropReason.TrailingGarbage, "long IDENTITY");
    }

    /// <summary>One engine with a random identity, and one well-formed remote peer that knows its key.</summary>
    private sealed class Fixture : IDisposable
    {
        public Fixture(ulong seed)
        {
            Seed = seed;
            Crypto = new NSecCryptoSuite(DhtIdentity.Generate());
            Engine = new DhtEngine(VirtualNetwork.TestOptions(), Crypto, seed, Now);
            Peer = new WirePeer(DhtIdentity.Generate(), Engine.LocalId, PeerAddress1, seed);
        }

        public ulong Seed { get; }

        public Instant Now { get; } = Instant.FromSeconds(10);

        public NSecCryptoSuite Crypto { get; }

        public DhtEngine Engine { get; }

        public WirePeer Peer { get; }

        public void AssertDropped(byte[] datagram, DropReason expected, string context, PeerAddress? from = null) =>
            AssertDropped(datagram, expected, expected, context, from);

        /// <summary>Delivers <paramref name="datagram"/> and asserts exactly one drop, with one of two reasons, and no side effect.</summary>
        public void AssertDropped(byte[] datagram, DropReason expected, DropReason alternative, string context, PeerAddress? from = null)
        {
            var before = Engine.Stats.Dropped(expected) + (alternative == expected ? 0 : Engine.Stats.Dropped(alternative));
            var total = Engine.Stats.DroppedTotal;
            var routing = Engine.RoutingTableSize;
            var stored = Engine.StoredRecords;
            var queued = Engine.TransmitQueueLength;
            Engine.HandleDatagram(Now, from ?? Peer.Address, datagram);
            var after = Engine.Stats.Dropped(expected) + (alternative == expected ? 0 : Engine.Stats.Dropped(alternative));
            var message = $"{context}: expected {expected}, drops {string.Join(",", Engine.Stats.DropsByReason())}; seed {Seed}";
            Assert.AreEqual(before + 1, after, message);
            Assert.AreEqual(total + 1, Engine.Stats.DroppedTotal, message);
            Assert.AreEqual(routing, Engine.RoutingTableSize, $"routing changed; {message}");
            Assert.AreEqual(stored, Engine.StoredRecords, $"store changed; {message}");
            Assert.AreEqual(queued, Engine.TransmitQueueLength, $"a dropped datagram was answered; {message}");
        }

        public void Dispose()
        {
            Peer.Dispose();
            Engine.Dispose();
            Crypto.Dispose();
        }
    }
}
