using Dht.Protocol;
using Dht.Security;
using Dht.Tests.Support;
using Dht.Wire;

namespace Dht.Tests.Protocol;

/// <summary>
/// Requests from addresses the engine has not validated (source possibly spoofed): total bytes sent back to that
/// address stay within 3x the request, nothing enters the routing table unless the address answers a verification
/// ping, STORE needs a token bound to the address, and responses must come from the identity that was asked.
/// </summary>
[TestClass]
public sealed class AntiSpoofingTests
{
    private static readonly PeerAddress VictimV4 = PeerAddress.FromIPv4([203, 0, 113, 5], 6881);
    private static readonly PeerAddress VictimV6 = PeerAddress.FromIPv6(Convert.FromHexString("20010db8000000000000000000000bad"), 6881);

    public static IEnumerable<object[]> Requests =>
        from kind in new[] { "FindNodePadded", "FindNodeUnpadded", "FindValuePadded", "FindValueUnpadded", "Ping", "StoreNoToken", "StoreBadToken" }
        from v6 in new[] { false, true }
        select new object[] { kind, v6, 31UL };

    [TestMethod]
    [DynamicData(nameof(Requests))]
    public void HandleDatagram_UnvalidatedRequest_AtMost3xBackAndNoRoutingChange(string kind, bool v6, ulong seed)
    {
        using var f = new Fixture(seed, contacts: 300);
        var record = f.StoreLargeMutableRecord();
        var victim = v6 ? VictimV6 : VictimV4;
        using var spoofer = new WirePeer(f.NewUnknownIdentity(), f.Engine.LocalId, victim, seed + 1);
        var (request, padding) = kind switch
        {
            "FindNodePadded" => (new Message { Type = MessageType.FindNode, Target = spoofer.Id }, true),
            "FindNodeUnpadded" => (new Message { Type = MessageType.FindNode, Target = spoofer.Id }, false),
            "FindValuePadded" => (new Message { Type = MessageType.FindValue, Target = record.Key }, true),
            "FindValueUnpadded" => (new Message { Type = MessageType.FindValue, Target = record.Key }, false),
            "Ping" => (new Message { Type = MessageType.Ping }, false),
            "StoreNoToken" => (new Message { Type = MessageType.Store, TtlSeconds = 600, Record = DhtRecord.CreateImmutable(new byte[900]) }, false),
            _ => (new Message { Type = MessageType.Store, TtlSeconds = 600, HasToken = true, Token = 12345, Record = DhtRecord.CreateImmutable(new byte[900]) }, false),
        };
        request.RequestId = 0x5555;
        var plainLength = MessageCodec.GetEncodedLength(request);
        var pad = padding ? DhtEngine.MinUnvalidatedRequestSize - WireConstants.SealedOverhead - plainLength : 0;
        var datagram = spoofer.Seal(request, pad);
        var routing = f.Engine.RoutingTableSize;
        var stored = f.Engine.StoredRecords;
        var context = $"{kind} from {victim} ({datagram.Length} B); seed {seed}";

        f.Engine.HandleDatagram(f.Now, victim, datagram);
        var sent = f.RunCollecting(victim, TimeSpan.FromSeconds(10), routing, context);
        var bytes = sent.Sum(d => d.Length);
        Assert.IsLessThanOrEqualTo(3 * datagram.Length, bytes, $"{sent.Count} datagrams; {context}");
        Assert.AreEqual(0, f.Engine.Stats.DroppedTotal, $"{string.Join(",", f.Engine.Stats.DropsByReason())}; {context}");
        Assert.AreEqual(routing, f.Engine.RoutingTableSize, context);
        Assert.IsFalse(f.Engine.Routing.TryGet(spoofer.Id, out _), $"spoofer admitted; {context}");
        Assert.AreEqual(stored, f.Engine.StoredRecords, $"store changed; {context}");

        var answer = spoofer.OpenMessage(sent[0], context);
        Assert.AreEqual(request.RequestId, answer.RequestId, context);
        var expected = kind switch
        {
            "FindNodePadded" => MessageType.Nodes,
            "FindValuePadded" => MessageType.Value,
            "Ping" => MessageType.Pong,
            _ => MessageType.Error,
        };
        Assert.AreEqual(expected, answer.Type, context);
        if (kind.StartsWith("Store", StringComparison.Ordinal))
        {
            Assert.AreEqual(ErrorCode.InvalidToken, answer.Error, context);
        }
        else if (expected == MessageType.Error)
        {
            Assert.AreEqual(ErrorCode.AddressUnvalidated, answer.Error, context);
        }
        else if (expected == MessageType.Nodes)
        {
            Assert.HasCount(f.Engine.Options.K, answer.Contacts, context);
        }

        // The spoofer's bucket has room, so the engine wants to verify it: the PING is sent only when it fits the budget.
        var verification = sent.Skip(1).Select(d => spoofer.OpenMessage(d, context)).Where(m => m.Type == MessageType.Ping).ToList();
        var fits = sent[0].Length + (WireConstants.SealedOverhead + 10) <= 3 * datagram.Length;
        Assert.HasCount(fits ? 1 : 0, verification, $"verification pings; {context}");
    }

    [TestMethod]
    [DataRow(32UL)]
    public void HandleDatagram_UnpaddedFindNodeThenRetryWithToken_FullAnswer(ulong seed)
    {
        using var f = new Fixture(seed, contacts: 300);
        using var peer = new WirePeer(DhtIdentity.Generate(), f.Engine.LocalId, VictimV6, seed + 1);
        var first = peer.Seal(new Message { Type = MessageType.FindNode, RequestId = 1, Target = peer.Id });
        f.Engine.HandleDatagram(f.Now, peer.Address, first);
        var replies = WirePeer.Drain(f.Engine).Where(d => d.To == peer.Address).Select(d => d.Data).ToList();
        Assert.IsLessThanOrEqualTo(3 * first.Length, replies.Sum(r => r.Length), $"seed {seed}");
        var error = peer.OpenMessage(replies[0], $"seed {seed}");
        Assert.AreEqual(MessageType.Error, error.Type, $"seed {seed}");
        Assert.AreEqual(ErrorCode.AddressUnvalidated, error.Error, $"seed {seed}");
        Assert.AreEqual(1, f.Engine.Stats.AmplificationLimited, $"seed {seed}");

        var retry = peer.Seal(new Message { Type = MessageType.FindNode, RequestId = 2, Target = peer.Id, HasToken = true, Token = error.Token });
        f.Engine.HandleDatagram(f.Now, peer.Address, retry);
        var full = WirePeer.Drain(f.Engine).Where(d => d.To == peer.Address).Select(d => peer.OpenMessage(d.Data, $"seed {seed}")).ToList();
        var nodes = full.Where(m => m.Type == MessageType.Nodes && m.RequestId == 2).ToList();
        Assert.IsNotEmpty(nodes, $"seed {seed}");
        Assert.AreEqual(f.Engine.Options.K, nodes.Sum(m => m.Contacts.Count), $"seed {seed}");
        Assert.IsGreaterThan(3 * retry.Length, WireConstants.SealedOverhead + MessageCodec.GetEncodedLength(nodes[0]), $"the full answer exceeds 3x; seed {seed}");
        Assert.AreEqual(1, f.Engine.Stats.AmplificationLimited, $"seed {seed}");
    }

    /// <summary>
    /// A NODES answer never lists the requester, and still lists k others: the k closest to the target other than the
    /// requester, in distance order, even when the requester is itself the closest contact.
    /// </summary>
    [TestMethod]
    [DataRow(34UL)]
    [DataRow(35UL)]
    public void HandleDatagram_FindNodeFromKnownRequester_AnswerIsTheKClosestOthers(ulong seed)
    {
        using var f = new Fixture(seed, contacts: 30);
        using var peer = new WirePeer(DhtIdentity.Generate(), f.Engine.LocalId, VictimV6, seed + 1);
        f.Engine.Routing.OnVerifiedReply(peer.Id, peer.Address, f.Now, TimeSpan.FromMilliseconds(50));
        Assert.IsTrue(f.Engine.Routing.TryGet(peer.Id, out _), $"the requester is in the table (a known address gets the full answer); seed {seed}");
        var table = f.Engine.Routing.AllContacts().Select(c => c.Id).ToList();
        var targets = new[] { peer.Id, peer.Id.FlipBit(255), new Xoshiro256(seed).NextNodeId() };
        for (var i = 0; i < targets.Length; i++)
        {
            var request = peer.Seal(new Message { Type = MessageType.FindNode, RequestId = (ulong)(10 + i), Target = targets[i] });
            f.Engine.HandleDatagram(f.Now, peer.Address, request);
            var answer = WirePeer.Drain(f.Engine).Where(d => d.To == peer.Address).Select(d => peer.OpenMessage(d.Data, $"seed {seed}"))
                .Where(m => m.Type == MessageType.Nodes).SelectMany(m => m.Contacts.Select(c => c.Id)).ToList();
            var expected = table.Where(id => id != peer.Id).OrderBy(id => id.Xor(targets[i])).Take(f.Engine.Options.K).ToList();
            CollectionAssert.AreEqual(expected, answer, $"target {i}; seed {seed}");
        }
    }

    [TestMethod]
    [DataRow(33UL)]
    public void HandleDatagram_StoreWithTokenOfOtherAddress_InvalidTokenAndNothingStored(ulong seed)
    {
        using var f = new Fixture(seed, contacts: 0);
        using var honest = new WirePeer(DhtIdentity.Generate(), f.Engine.LocalId, VictimV4, seed + 1);
        f.Engine.HandleDatagram(f.Now, honest.Address, honest.Seal(new Message { Type = MessageType.Ping, RequestId = 1 }));
        var pong = honest.OpenMessage(WirePeer.Drain(f.Engine).First(d => d.To == honest.Address).Data, $"seed {seed}");
        var store = new Message { Type = MessageType.Store, RequestId = 2, HasToken = true, Token = pong.Token, TtlSeconds = 600, Record = DhtRecord.CreateImmutable("x"u8.ToArray()) };

        // The token is bound to (id, address): replayed from another address it is worthless.
        f.Engine.HandleDatagram(f.Now, VictimV6, honest.Seal(store));
        var error = honest.OpenMessage(WirePeer.Drain(f.Engine).First(d => d.To == VictimV6).Data, $"seed {seed}");
        Assert.AreEqual(ErrorCode.InvalidToken, error.Error, $"seed {seed}");
        Assert.AreEqual(0, f.Engine.StoredRecords, $"seed {seed}");

        // Positive control: from the address it was issued to, the same STORE is accepted.
        store.RequestId = 3;
        f.Engine.HandleDatagram(f.Now, honest.Address, honest.Seal(store));
        var stored = honest.OpenMessage(WirePeer.Drain(f.Engine).First(d => d.To == honest.Address).Data, $"seed {seed}");
        Assert.AreEqual(MessageType.Stored, stored.Type, $"seed {seed}");
        Assert.AreEqual(1, f.Engine.StoredRecords, $"seed {seed}");
    }

    [TestMethod]
    [DataRow(34UL)]
    public void HandleDatagram_VerificationPingAnswered_OnlyThenAdmitted(ulong seed)
    {
        using var f = new Fixture(seed, contacts: 0);
        using var peer = new WirePeer(DhtIdentity.Generate(), f.Engine.LocalId, VictimV4, seed + 1);
        var ping = peer.Seal(new Message { Type = MessageType.Ping, RequestId = 1 });
        f.Engine.HandleDatagram(f.Now, peer.Address, ping);
        var sent = WirePeer.Drain(f.Engine).Where(d => d.To == peer.Address).Select(d => d.Data).ToList();
        Assert.IsLessThanOrEqualTo(3 * ping.Length, sent.Sum(d => d.Length), $"seed {seed}");
        var verify = sent.Select(d => peer.OpenMessage(d, $"seed {seed}")).Single(m => m.Type == MessageType.Ping);
        Assert.AreEqual(0, f.Engine.RoutingTableSize, $"seed {seed}");

        var pong = peer.Seal(new Message { Type = MessageType.Pong, RequestId = verify.RequestId, ObservedAddress = f.Address });
        f.Engine.HandleDatagram(f.Now, VictimV6, pong);
        Assert.AreEqual(1, f.Engine.Stats.Dropped(DropReason.ResponseFromWrongAddress), $"seed {seed}");
        Assert.AreEqual(0, f.Engine.RoutingTableSize, $"answer from elsewhere must not admit; seed {seed}");

        f.Engine.HandleDatagram(f.Now, peer.Address, peer.Seal(new Message { Type = MessageType.Pong, RequestId = verify.RequestId, ObservedAddress = f.Address }));
        Assert.AreEqual(1, f.Engine.RoutingTableSize, $"{string.Join(",", f.Engine.Stats.DropsByReason())}; seed {seed}");
        Assert.IsTrue(f.Engine.Routing.TryGet(peer.Id, out var contact) && contact.Address == peer.Address, $"seed {seed}");
    }

    /// <summary>
    /// A verification PING answered with "address unvalidated" and a token is sent once more with that token and a new
    /// request id (the engine's PINGs share one message per thread, so the retry must write both again), and the PONG
    /// to the retry is accepted. The first PING goes out from another thread, as DhtNode's loop can move between
    /// threads; the retry, on this one, must not depend on that thread's message.
    /// </summary>
    [TestMethod]
    [DataRow(36UL)]
    public void HandleDatagram_VerificationPingAddressUnvalidated_RetriedWithTokenThenAdmitted(ulong seed)
    {
        using var f = new Fixture(seed, contacts: 0);
        using var peer = new WirePeer(DhtIdentity.Generate(), f.Engine.LocalId, VictimV4, seed + 1);
        var ping = peer.Seal(new Message { Type = MessageType.Ping, RequestId = 1 });
        var thread = new Thread(() => f.Engine.HandleDatagram(f.Now, peer.Address, ping));
        thread.Start();
        thread.Join();
        var verify = WirePeer.Drain(f.Engine).Where(d => d.To == peer.Address).Select(d => peer.OpenMessage(d.Data, $"seed {seed}"))
            .Single(m => m.Type == MessageType.Ping);
        Assert.IsFalse(verify.HasToken, $"seed {seed}");

        var token = (UInt128)0x0123456789ABCDEFUL << 64 | 0xFEDCBA9876543210UL;
        f.Engine.HandleDatagram(f.Now, peer.Address, peer.Seal(new Message
        {
            Type = MessageType.Error,
            Error = ErrorCode.AddressUnvalidated,
            RequestId = verify.RequestId,
            Token = token,
            HasToken = true,
        }));
        var retry = WirePeer.Drain(f.Engine).Where(d => d.To == peer.Address).Select(d => peer.OpenMessage(d.Data, $"seed {seed}")).ToList();
        Assert.HasCount(1, retry, $"seed {seed}");
        Assert.AreEqual(MessageType.Ping, retry[0].Type, $"seed {seed}");
        Assert.AreNotEqual(verify.RequestId, retry[0].RequestId, $"seed {seed}");
        Assert.IsTrue(retry[0].HasToken, $"seed {seed}");
        Assert.AreEqual(token, retry[0].Token, $"seed {seed}");

        // The PONG answers the retry's id (the first id was forgotten with the error): accepted, nothing dropped.
        var drops = f.Engine.Stats.DroppedTotal;
        f.Engine.HandleDatagram(f.Now, peer.Address, peer.Seal(new Message { Type = MessageType.Pong, RequestId = retry[0].RequestId, ObservedAddress = f.Address }));
        Assert.AreEqual(drops, f.Engine.Stats.DroppedTotal, $"{string.Join(",", f.Engine.Stats.DropsByReason())}; seed {seed}");
        Assert.AreEqual(0, f.Engine.PendingRequests, $"seed {seed}");
        Assert.IsTrue(f.Engine.Routing.TryGet(peer.Id, out var contact) && contact.Address == peer.Address, $"seed {seed}");
    }

    [TestMethod]
    [DataRow(35UL)]
    public void HandleDatagram_ResponseSealedByOtherIdentity_DroppedAndNoRoutingChange(ulong seed)
    {
        using var f = new Fixture(seed, contacts: 0);
        using var asked = new WirePeer(DhtIdentity.Generate(), f.Engine.LocalId, VictimV4, seed + 1);
        using var other = new WirePeer(DhtIdentity.Generate(), f.Engine.LocalId, VictimV4, seed + 2);
        f.Engine.StartBootstrap(f.Now, [(asked.Address, (NodeId?)asked.Id)]);
        var request = asked.OpenMessage(WirePeer.Drain(f.Engine).Single(d => d.To == asked.Address).Data, $"seed {seed}");
        var nodes = new Message { Type = MessageType.Nodes, RequestId = request.RequestId, Total = 1 };
        var pending = f.Engine.PendingRequests;

        f.Engine.HandleDatagram(f.Now, asked.Address, other.Seal(nodes));
        Assert.AreEqual(1, f.Engine.Stats.Dropped(DropReason.UnexpectedResponse), $"other identity, own header; seed {seed}");
        f.Engine.HandleDatagram(f.Now, asked.Address, WirePeer.Seal(other.Key, asked.Id, other.NextNonce(), WirePeer.Encode(nodes)));
        Assert.AreEqual(1, f.Engine.Stats.Dropped(DropReason.DecryptFailed), $"other identity, asked id in header; seed {seed}");
        Assert.AreEqual(0, f.Engine.RoutingTableSize, $"seed {seed}");
        Assert.AreEqual(pending, f.Engine.PendingRequests, $"the request is still open; seed {seed}");
        Assert.IsEmpty(WirePeer.Drain(f.Engine).Where(d => d.To == asked.Address), $"seed {seed}");

        f.Engine.HandleDatagram(f.Now, asked.Address, asked.Seal(nodes));
        Assert.AreEqual(1, f.Engine.RoutingTableSize, $"positive control; seed {seed}");
    }

    /// <summary>An engine whose routing table holds <c>contacts</c> random nodes at IPv6 addresses (the largest contacts).</summary>
    private sealed class Fixture : IDisposable
    {
        private readonly ulong _seed;

        public Fixture(ulong seed, int contacts)
        {
            _seed = seed;
            Crypto = new NSecCryptoSuite(DhtIdentity.Generate());
            Engine = new DhtEngine(VirtualNetwork.TestOptions(), Crypto, seed, Now);
            var rng = new Xoshiro256(seed);
            for (var i = 0; i < contacts; i++)
            {
                var address = new PeerAddress(0x20010db800000000UL + (uint)i, rng.NextUInt64(), 4000);
                Engine.Routing.OnVerifiedReply(rng.NextNodeId(), address, Now, TimeSpan.FromMilliseconds(50));
            }

            Assert.IsTrue(contacts == 0 || Engine.RoutingTableSize >= Engine.Options.K, $"{Engine.RoutingTableSize} contacts; seed {seed}");
        }

        public Instant Now { get; private set; } = Instant.FromSeconds(100);

        public PeerAddress Address { get; } = PeerAddress.FromIPv4([192, 0, 2, 1], 4000);

        public NSecCryptoSuite Crypto { get; }

        public DhtEngine Engine { get; }

        /// <summary>A seeded identity that is not in the table and whose bucket has room (so the engine would verify it).</summary>
        public DhtIdentity NewUnknownIdentity()
        {
            var rng = new Xoshiro256(_seed ^ 0x5EED);
            var seedBytes = new byte[DhtIdentity.SeedSize];
            for (var attempt = 0; attempt < 10_000; attempt++)
            {
                rng.NextBytes(seedBytes);
                var identity = DhtIdentity.FromSeed(seedBytes);
                if (Engine.Routing.ShouldVerify(identity.Id))
                {
                    return identity;
                }

                identity.Dispose();
            }

            throw new InvalidOperationException($"no identity with room in its bucket; seed {_seed}");
        }

        /// <summary>Stores a 1000-byte mutable record with a 64-byte salt locally: the largest VALUE answer.</summary>
        public DhtRecord StoreLargeMutableRecord()
        {
            using var signer = DhtIdentity.FromSeed(new byte[32]);
            var record = DhtRecord.CreateSigned(signer, new byte[Engine.Options.MaxValueSize], 1, new byte[DhtRecord.MaxSaltSize]);
            Assert.AreEqual(RecordRejection.None, Engine.Storage.TryStore(record, null, Engine.LocalId, true, Now, TimeSpan.FromHours(1)), $"seed {_seed}");
            return record;
        }

        /// <summary>Drains transmits and fires timers for <paramref name="duration"/>, returning everything sent to <paramref name="to"/>.</summary>
        public List<byte[]> RunCollecting(PeerAddress to, TimeSpan duration, int routing, string context)
        {
            var sent = new List<byte[]>();
            var end = Now + duration;
            while (true)
            {
                sent.AddRange(WirePeer.Drain(Engine).Where(d => d.To == to).Select(d => d.Data));
                Assert.IsLessThanOrEqualTo(routing, Engine.RoutingTableSize, $"routing grew at {Now}; {context}");
                if (Engine.PollTimeout() is not { } next || next > end)
                {
                    return sent;
                }

                Now = next > Now ? next : Now;
                Engine.HandleTimeout(Now);
            }
        }

        public void Dispose()
        {
            Engine.Dispose();
            Crypto.Dispose();
        }
    }
}
