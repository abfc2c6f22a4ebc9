using Dht.Protocol;
using Dht.Wire;

namespace Dht.Tests.Wire;

/// <summary>
/// Strict decoding of hostile plaintexts: every truncation, seeded random corruption, and hand-made bad length,
/// type and padding fields. Decoding must never throw and must name the specific reason.
/// </summary>
[TestClass]
public sealed class MessageCodecFuzzTests
{
    // Offsets into the golden vectors (see GoldenVectorHex): a response header is type(1) id(8) token(16) = 25 bytes.
    private const int NodesCountOffset = 26;
    private const int NodesTotalOffset = 25;
    private const int ValueRecordOffset = 29;
    private const int ImmutableLengthOffset = ValueRecordOffset + 1;
    private const int MutableSaltLengthOffset = ValueRecordOffset + 1 + 32;
    private const int MutableSeqOffset = MutableSaltLengthOffset + 1 + 4;
    private const int MutableValueLengthOffset = MutableSeqOffset + 8;

    public static IEnumerable<object[]> Vectors => GoldenMessages.All().Select(v => new object[] { v.Name });

    public static IEnumerable<object[]> VectorsWithSeeds =>
        GoldenMessages.All().SelectMany(v => new[] { new object[] { v.Name, 11UL }, new object[] { v.Name, 12UL } });

    private static byte[] Golden(string name) => Convert.FromHexString(GoldenMessages.All().Single(v => v.Name == name).Hex);

    private static DropReason Decode(byte[] plaintext, string context)
    {
        try
        {
            return MessageCodec.TryDecode(plaintext, out _);
        }
        catch (Exception e)
        {
            Assert.Fail($"TryDecode threw {e.GetType().Name}: {e.Message}; input {Convert.ToHexStringLower(plaintext)}; {context}");
            throw;
        }
    }

    [TestMethod]
    [DynamicData(nameof(Vectors))]
    public void TryDecode_TruncatedAtEveryOffset_ReturnsReasonWithoutThrowing(string name)
    {
        var golden = Golden(name);
        for (var length = 0; length < golden.Length; length++)
        {
            var reason = Decode(golden[..length], $"{name} truncated to {length}");
            Assert.AreNotEqual(DropReason.None, reason, $"{name} truncated to {length} bytes decoded");
            Assert.AreEqual(DropReason.Truncated, reason, $"{name} truncated to {length} bytes");
        }
    }

    [TestMethod]
    [DynamicData(nameof(VectorsWithSeeds))]
    public void TryDecode_RandomByteFlips_NeverThrowsAndAcceptsOnlyCanonical(string name, ulong seed)
    {
        var golden = Golden(name);
        var rng = new Xoshiro256(seed);
        for (var iteration = 0; iteration < 500; iteration++)
        {
            var input = (byte[])golden.Clone();
            var flips = 1 + rng.NextInt32(4);
            for (var f = 0; f < flips; f++)
            {
                input[rng.NextInt32(input.Length)] ^= (byte)(1 + rng.NextInt32(255));
            }

            var context = $"{name} iteration {iteration}; seed {seed}";
            if (Decode(input, context) != DropReason.None)
            {
                continue;
            }

            // Whatever decodes re-encodes to the same bytes: no field is silently reinterpreted.
            MessageCodec.TryDecode(input, out var decoded);
            var encoded = GoldenMessages.Encode(decoded!);
            Assert.IsLessThanOrEqualTo(input.Length, encoded.Length, context);
            CollectionAssert.AreEqual(input[..encoded.Length], encoded, $"non-canonical accept; {context}");
            Assert.IsFalse(input.AsSpan(encoded.Length).ContainsAnyExcept((byte)0), context);
        }
    }

    [TestMethod]
    [DataRow(13UL)]
    [DataRow(14UL)]
    public void TryDecode_RandomBytesAfterValidType_NeverThrows(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var types = Enum.GetValues<MessageType>();
        for (var iteration = 0; iteration < 2000; iteration++)
        {
            var input = new byte[rng.NextInt32(WireConstants.MaxMessageSize + 1)];
            rng.NextBytes(input);
            if (input.Length > 0)
            {
                input[0] = (byte)types[rng.NextInt32(types.Length)];
            }

            Decode(input, $"iteration {iteration}; seed {seed}");
        }
    }

    [TestMethod]
    [DataRow(3)]
    [DataRow(4)]
    [DataRow(255)]
    public void TryDecode_NodesCountPastEnd_Truncated(int count)
    {
        var input = Golden("NodesMixed");
        input[NodesCountOffset] = (byte)count;
        Assert.AreEqual(DropReason.Truncated, Decode(input, $"count {count}"), $"count {count}");
    }

    [TestMethod]
    public void TryDecode_NodesTotalZero_InvalidField()
    {
        var input = Golden("NodesMixed");
        input[NodesTotalOffset] = 0;
        Assert.AreEqual(DropReason.InvalidField, Decode(input, "total 0"));
    }

    [TestMethod]
    [DataRow(6)]
    [DataRow(0xFFFF)]
    public void TryDecode_ImmutableValueLengthPastEnd_Truncated(int length)
    {
        var input = Golden("ValueImmutable");
        input[ImmutableLengthOffset] = (byte)(length >> 8);
        input[ImmutableLengthOffset + 1] = (byte)length;
        Assert.AreEqual(DropReason.Truncated, Decode(input, $"length {length}"), $"length {length}");
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(0x0100)]
    public void TryDecode_MutableValueLengthPastEnd_Truncated(int length)
    {
        var input = Golden("ValueMutable");
        Assert.AreEqual(1, input[MutableValueLengthOffset + 1], "offset check: golden value length is 1");
        input[MutableValueLengthOffset] = (byte)(length >> 8);
        input[MutableValueLengthOffset + 1] = (byte)length;
        Assert.AreEqual(DropReason.Truncated, Decode(input, $"length {length}"), $"length {length}");
    }

    [TestMethod]
    public void TryDecode_ValueLongerThanMaxValueSize_InvalidField()
    {
        // The factories refuse oversized values, so the oversized datagram is made by hand: VALUE header (25), ttl (4),
        // kind (1), then the u16 value length one past the limit and that many bytes.
        var m = new Message { Type = MessageType.Value, RequestId = 1, Record = DhtRecord.CreateImmutable(new byte[WireConstants.MaxValueSize]) };
        var atMax = GoldenMessages.Encode(m);
        Assert.AreEqual(DropReason.None, Decode(atMax, "max"));
        var over = new byte[atMax.Length + 1];
        atMax.CopyTo(over, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(over.AsSpan(30), WireConstants.MaxValueSize + 1);
        Assert.AreEqual(DropReason.InvalidField, Decode(over, "max+1"));
    }

    [TestMethod]
    [DataRow(65)]
    [DataRow(255)]
    public void TryDecode_SaltLengthOver64_InvalidField(int saltLength)
    {
        var input = Golden("ValueMutable");
        Assert.AreEqual(4, input[MutableSaltLengthOffset], "offset check: golden salt length is 4");
        input[MutableSaltLengthOffset] = (byte)saltLength;
        Assert.AreEqual(DropReason.InvalidField, Decode(input, $"salt {saltLength}"), $"salt length {saltLength}");
    }

    [TestMethod]
    public void TryDecode_NegativeSequence_InvalidField()
    {
        var input = Golden("ValueMutable");
        input[MutableSeqOffset] = 0x80;
        Assert.AreEqual(DropReason.InvalidField, Decode(input, "seq < 0"));
    }

    [TestMethod]
    [DataRow(0x00)]
    [DataRow(0x05)]
    [DataRow(0x7F)]
    [DataRow(0x80)]
    [DataRow(0x86)]
    [DataRow(0xFF)]
    public void TryDecode_UnknownMessageType_UnknownMessageType(int type)
    {
        foreach (var (name, _, hex) in GoldenMessages.All())
        {
            var input = Convert.FromHexString(hex);
            input[0] = (byte)type;
            Assert.AreEqual(DropReason.UnknownMessageType, Decode(input, name), $"type 0x{type:x2} on {name}");
        }

        Assert.AreEqual(DropReason.UnknownMessageType, Decode([(byte)type], "type only"), $"type 0x{type:x2} alone");
    }

    [TestMethod]
    [DataRow("PingNoToken", 9, 2)] // token flag 2
    [DataRow("StoreImmutable", 26, 2)] // CAS flag 2
    [DataRow("StoreImmutable", 34, 1)] // CAS value set while the flag says none
    [DataRow("StoreImmutable", 39, 2)] // record kind 2
    [DataRow("PongIPv4", 25, 5)] // address family 5
    [DataRow("PongIPv6", 25, 0)] // address family 0
    [DataRow("Error", 25, 0)] // error code 0
    [DataRow("Error", 25, 4)] // error code 4
    public void TryDecode_InvalidFieldValue_InvalidField(string name, int offset, int value)
    {
        var input = Golden(name);
        input[offset] = (byte)value;
        Assert.AreEqual(DropReason.InvalidField, Decode(input, name), $"{name}[{offset}] = {value}");
    }

    [TestMethod]
    [DynamicData(nameof(VectorsWithSeeds))]
    public void TryDecode_NonZeroTrailingByte_TrailingGarbage(string name, ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var golden = Golden(name);
        foreach (var extra in new[] { 1, 2, 17, 300 })
        {
            var input = new byte[golden.Length + extra];
            golden.CopyTo(input, 0);
            input[golden.Length + rng.NextInt32(extra)] = (byte)(1 + rng.NextInt32(255));
            Assert.AreEqual(DropReason.TrailingGarbage, Decode(input, name), $"{name} + {extra} bytes; seed {seed}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Vectors))]
    public void TryDecode_ZeroPadding_AcceptedWithEqualFields(string name)
    {
        var (_, create, hex) = GoldenMessages.All().Single(v => v.Name == name);
        var golden = Convert.FromHexString(hex);
        foreach (var padding in new[] { 1, 16, WireConstants.MaxMessageSize - golden.Length })
        {
            var padded = GoldenMessages.Encode(create(), padding);
            CollectionAssert.AreEqual(golden, padded[..golden.Length], $"{name} + {padding}");
            Assert.AreEqual(DropReason.None, MessageCodec.TryDecode(padded, out var decoded), $"{name} + {padding} zero bytes");
            GoldenMessages.AssertEqual(create(), decoded!, $"{name} + {padding}");
        }
    }

    [TestMethod]
    public void TryDecode_WithContactScratch_SameContactsDecodedIntoTheScratchUntilTheNextDecode()
    {
        var input = Golden("NodesMixed");
        Assert.AreEqual(DropReason.None, MessageCodec.TryDecode(input, out var plain));
        var scratch = new ContactSlice();
        Assert.AreEqual(DropReason.None, MessageCodec.TryDecode(input, out var pooled, scratch));
        CollectionAssert.AreEqual(plain!.Contacts.ToList(), pooled!.Contacts.ToList());
        Assert.AreSame(scratch, pooled.Contacts, "the message's contacts are the scratch itself");
        Assert.AreEqual(plain.Contacts[0], scratch.Buffer[0], "decoded into the scratch buffer");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => pooled.Contacts[pooled.Contacts.Count]);

        // The next decode into the same scratch replaces the contacts the earlier message shows.
        var other = new Message { Type = MessageType.Nodes, RequestId = 9, Token = 1, HasToken = true, Contacts = [plain.Contacts[^1]] };
        var buffer = new byte[WireConstants.MaxMessageSize];
        var length = MessageCodec.Encode(other, buffer);
        Assert.AreEqual(DropReason.None, MessageCodec.TryDecode(buffer.AsSpan(0, length), out var second, scratch));
        Assert.HasCount(1, second!.Contacts);
        Assert.HasCount(1, pooled.Contacts);
        Assert.AreEqual(plain.Contacts[^1], pooled.Contacts[0]);
    }

    [TestMethod]
    [DataRow(21UL)]
    [DataRow(22UL)]
    public void Nodes_RandomFamiliesAndCounts_BytesFollowTheLayoutAndRoundTrip(ulong seed)
    {
        // IPv4 contacts are written and read as one block; IPv6 ones field by field. In any mix and order the bytes
        // must be family, address, port (big-endian), id, contact after contact, and decode to the same contacts.
        var rng = new Xoshiro256(seed);
        var buffer = new byte[WireConstants.MaxMessageSize];
        var scratch = new ContactSlice();
        var into = new Message();
        for (var round = 0; round < 200; round++)
        {
            var contacts = new WireContact[rng.NextInt32(26)];
            var expected = new List<byte> { (byte)MessageType.Nodes };
            for (var i = 0; i < contacts.Length; i++)
            {
                var raw = new byte[16];
                rng.NextBytes(raw);
                var port = (ushort)(1 + rng.NextInt32(65535));
                var address = rng.NextInt32(3) == 0 && !PeerAddress.FromIPv6(raw, port).IsIPv4 ? PeerAddress.FromIPv6(raw, port) : PeerAddress.FromIPv4(raw.AsSpan(0, 4), port);
                contacts[i] = new WireContact(rng.NextNodeId(), address);
            }

            var m = new Message { Type = MessageType.Nodes, RequestId = rng.NextUInt64(), Token = 5, HasToken = true, Total = 1, Contacts = contacts };
            var length = MessageCodec.Encode(m, buffer);
            Assert.AreEqual(MessageCodec.GetEncodedLength(m), length, $"seed {seed}, round {round}");

            var at = 1 + 8 + 16 + 2;
            foreach (var c in contacts)
            {
                var v4 = c.Address.IsIPv4;
                Assert.AreEqual(v4 ? 4 : 6, buffer[at], $"seed {seed}, round {round}: family");
                var addressBytes = new byte[16];
                c.Address.WriteAddress16(addressBytes);
                CollectionAssert.AreEqual(v4 ? addressBytes[12..] : addressBytes, buffer[(at + 1)..(at + 1 + (v4 ? 4 : 16))], $"seed {seed}, round {round}: address");
                at += v4 ? 5 : 17;
                Assert.AreEqual(c.Address.Port, (buffer[at] << 8) | buffer[at + 1], $"seed {seed}, round {round}: port");
                Assert.AreEqual(c.Id, new NodeId(buffer.AsSpan(at + 2, NodeId.Size)), $"seed {seed}, round {round}: id");
                at += 2 + NodeId.Size;
            }

            Assert.AreEqual(length, at, $"seed {seed}, round {round}: nothing after the contacts");
            Assert.AreEqual(DropReason.None, MessageCodec.TryDecode(buffer.AsSpan(0, length), into, scratch), $"seed {seed}, round {round}");
            CollectionAssert.AreEqual(contacts, into.Contacts.ToList(), $"seed {seed}, round {round}");
        }
    }
}
