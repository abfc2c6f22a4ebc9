using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Dht.Protocol;

namespace Dht.Wire;

/// <summary>
/// Encodes and strictly decodes messages (the plaintext of sealed packets). Layout in docs/protocol.md.
/// Decoding never throws on any input and allocates at most the record bytes and contact array the message declares,
/// which the datagram size bounds.
/// </summary>
internal static class MessageCodec
{
    private const byte FamilyIPv4 = 4;
    private const byte FamilyIPv6 = 6;

    /// <summary>An IPv4 contact on the wire: family (1), address (4), port (2), id (32).</summary>
    private const int IPv4ContactSize = 1 + 4 + 2 + NodeId.Size;

    public static int GetEncodedLength(Message m)
    {
        var header = m.IsRequest ? 1 + 8 + 1 + (m.HasToken ? WireConstants.TokenSize : 0) : WireConstants.ResponseHeaderSize;
        return header + m.Type switch
        {
            MessageType.Ping => 0,
            MessageType.FindNode or MessageType.FindValue => NodeId.Size,
            MessageType.Store => WireConstants.StoreFixedSize + RecordCodec.GetEncodedLength(m.Record!),
            MessageType.Pong => AddressLength(m.ObservedAddress),
            MessageType.Nodes => 2 + ContactsLength(m.Contacts),
            MessageType.Value => 4 + RecordCodec.GetEncodedLength(m.Record!),
            MessageType.Stored => 1 + 8,
            MessageType.Error => 1,
            _ => ThrowUnknownType<int>(m.Type),
        };
    }

    public static int ContactsLength(IReadOnlyList<WireContact> contacts)
    {
        var length = 0;
        foreach (ref readonly var c in ContactSlice.SpanOf(contacts))
        {
            length += AddressLength(c.Address) + NodeId.Size;
        }

        return length;
    }

    public static int AddressLength(PeerAddress address) => address.IsIPv4 ? 1 + 4 + 2 : 1 + 16 + 2;

    /// <summary>Encodes <paramref name="m"/> followed by <paramref name="padding"/> zero bytes; returns the length written.</summary>
    public static int Encode(Message m, Span<byte> destination, int padding = 0)
    {
        var w = new WireWriter(destination);
        w.WriteByte((byte)m.Type);
        w.WriteUInt64(m.RequestId);
        if (m.IsRequest)
        {
            w.WriteByte(m.HasToken ? (byte)1 : (byte)0);
            if (m.HasToken)
            {
                w.WriteUInt128(m.Token);
            }
        }
        else
        {
            w.WriteUInt128(m.Token);
        }

        switch (m.Type)
        {
            case MessageType.Ping:
                break;
            case MessageType.FindNode:
            case MessageType.FindValue:
                w.WriteNodeId(m.Target);
                break;
            case MessageType.Store:
                w.WriteByte(m.HasCas ? (byte)1 : (byte)0);
                w.WriteInt64(m.HasCas ? m.Cas : 0);
                w.WriteUInt32(m.TtlSeconds);
                RecordCodec.Write(ref w, m.Record!);
                break;
            case MessageType.Pong:
                WriteAddress(ref w, m.ObservedAddress);
                break;
            case MessageType.Nodes:
                w.WriteByte(m.Total);
                w.WriteByte((byte)m.Contacts.Count);
                foreach (ref readonly var c in ContactSlice.SpanOf(m.Contacts))
                {
                    WriteContact(ref w, in c);
                }

                break;
            case MessageType.Value:
                w.WriteUInt32(m.TtlSeconds);
                RecordCodec.Write(ref w, m.Record!);
                break;
            case MessageType.Stored:
                w.WriteByte(m.ResultCode);
                w.WriteInt64(m.StoredSequence);
                break;
            case MessageType.Error:
                w.WriteByte((byte)m.Error);
                break;
            default:
                ThrowUnknownType<int>(m.Type);
                break;
        }

        w.WriteZeros(padding);
        return w.Position;
    }

    // A method of its own, so that the interpolated message's handler is not on the encoder's frame (zeroed per call).
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T ThrowUnknownType<T>(MessageType type) => throw new InvalidOperationException($"Unknown message type {type}.");

    /// <summary>The most contacts one datagram can carry (the smallest contact is 39 bytes).</summary>
    public const int MaxContactsPerDatagram = WireConstants.MaxMessageSize / (1 + 4 + 2 + NodeId.Size);

    /// <summary>
    /// Decodes one message; on failure returns the reason and leaves <paramref name="message"/> null. With
    /// <paramref name="contactScratch"/> NODES contacts are decoded into its buffer and the message's contacts are that
    /// instance, instead of a new array: the message is then valid only until the next decode with the same scratch.
    /// </summary>
    public static DropReason TryDecode(ReadOnlySpan<byte> plaintext, out Message? message, ContactSlice? contactScratch = null)
    {
        var m = new Message();
        var reason = TryDecode(plaintext, m, contactScratch);
        message = reason == DropReason.None ? m : null;
        return reason;
    }

    /// <summary>
    /// Decodes one message into <paramref name="into"/>, which is reset first (the engine reuses one instance per
    /// datagram: the decoded message is valid only until the next decode into it). On failure the contents are
    /// unspecified.
    /// </summary>
    public static DropReason TryDecode(ReadOnlySpan<byte> plaintext, Message into, ContactSlice? contactScratch)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Reset();
        var r = new WireReader(plaintext);
        if (!r.TryReadByte(out var typeByte))
        {
            return DropReason.Truncated;
        }

        var type = (MessageType)typeByte;
        if (!Enum.IsDefined(type))
        {
            return DropReason.UnknownMessageType;
        }

        var m = into;
        m.Type = type;
        if (!r.TryReadUInt64(out var requestId))
        {
            return DropReason.Truncated;
        }

        m.RequestId = requestId;
        var reason = m.IsRequest ? ReadRequestHeader(ref r, m) : ReadResponseHeader(ref r, m);
        if (reason == DropReason.None)
        {
            reason = ReadBody(ref r, m, contactScratch);
        }

        if (reason != DropReason.None)
        {
            return reason;
        }

        return r.RestIsZeroPadding() ? DropReason.None : DropReason.TrailingGarbage;
    }

    private static DropReason ReadRequestHeader(ref WireReader r, Message m)
    {
        if (!r.TryReadByte(out var flag))
        {
            return DropReason.Truncated;
        }

        if (flag > 1)
        {
            return DropReason.InvalidField;
        }

        m.HasToken = flag == 1;
        if (m.HasToken)
        {
            if (!r.TryReadUInt128(out var token))
            {
                return DropReason.Truncated;
            }

            m.Token = token;
        }

        return DropReason.None;
    }

    private static DropReason ReadResponseHeader(ref WireReader r, Message m)
    {
        if (!r.TryReadUInt128(out var token))
        {
            return DropReason.Truncated;
        }

        m.HasToken = true;
        m.Token = token;
        return DropReason.None;
    }

    private static DropReason ReadBody(ref WireReader r, Message m, ContactSlice? contactScratch)
    {
        switch (m.Type)
        {
            case MessageType.Ping:
                return DropReason.None;
            case MessageType.FindNode:
            case MessageType.FindValue:
                if (!r.TryReadNodeId(out var target))
                {
                    return DropReason.Truncated;
                }

                m.Target = target;
                return DropReason.None;
            case MessageType.Store:
                return ReadStore(ref r, m);
            case MessageType.Pong:
                var pongReason = TryReadAddress(ref r, out var observed);
                m.ObservedAddress = observed;
                return pongReason;
            case MessageType.Nodes:
                return ReadNodes(ref r, m, contactScratch);
            case MessageType.Value:
                if (!r.TryReadUInt32(out var ttl))
                {
                    return DropReason.Truncated;
                }

                m.TtlSeconds = ttl;
                var valueReason = RecordCodec.TryRead(ref r, out var valueRecord);
                m.Record = valueRecord;
                return valueReason;
            case MessageType.Stored:
                if (!r.TryReadByte(out var code) || !r.TryReadInt64(out var storedSeq))
                {
                    return DropReason.Truncated;
                }

                m.ResultCode = code;
                m.StoredSequence = storedSeq;
                return Enum.IsDefined((RecordRejection)code) && storedSeq >= -1 ? DropReason.None : DropReason.InvalidField;
            case MessageType.Error:
                if (!r.TryReadByte(out var error))
                {
                    return DropReason.Truncated;
                }

                m.Error = (ErrorCode)error;
                return Enum.IsDefined(m.Error) ? DropReason.None : DropReason.InvalidField;
            default:
                return DropReason.UnknownMessageType;
        }
    }

    private static DropReason ReadStore(ref WireReader r, Message m)
    {
        if (!r.TryReadByte(out var flags) || !r.TryReadInt64(out var cas) || !r.TryReadUInt32(out var ttl))
        {
            return DropReason.Truncated;
        }

        if (flags > 1 || (flags == 0 && cas != 0))
        {
            return DropReason.InvalidField;
        }

        m.HasCas = flags == 1;
        m.Cas = cas;
        m.TtlSeconds = ttl;
        var reason = RecordCodec.TryRead(ref r, out var record);
        m.Record = record;
        return reason;
    }

    private static DropReason ReadNodes(ref WireReader r, Message m, ContactSlice? contactScratch)
    {
        if (!r.TryReadByte(out var total) || !r.TryReadByte(out var count))
        {
            return DropReason.Truncated;
        }

        if (total == 0)
        {
            return DropReason.InvalidField;
        }

        // Each contact takes at least 39 bytes: a count the datagram cannot hold is rejected before allocating.
        if (count * (1 + 4 + 2 + NodeId.Size) > r.Remaining)
        {
            return DropReason.Truncated;
        }

        m.Total = total;
        var contacts = contactScratch?.Buffer ?? new WireContact[count];
        for (var i = 0; i < count; i++)
        {
            // An IPv4 contact (what nearly every answer holds) read as one block: family, address, port and id. The
            // same bytes through the general path below give the same contact.
            if (r.Remaining >= IPv4ContactSize && r.Rest[0] == FamilyIPv4 && r.TryReadBytes(IPv4ContactSize, out var block))
            {
                var port = BinaryPrimitives.ReadUInt16BigEndian(block.Slice(5, 2));
                contacts[i] = new WireContact(new NodeId(block.Slice(7, NodeId.Size)), PeerAddress.FromIPv4(block.Slice(1, 4), port));
                continue;
            }

            var reason = TryReadAddress(ref r, out var address);
            if (reason != DropReason.None)
            {
                return reason;
            }

            if (!r.TryReadNodeId(out var id))
            {
                return DropReason.Truncated;
            }

            contacts[i] = new WireContact(id, address);
        }

        m.Contacts = contactScratch is not null ? contactScratch.Take(count) : contacts;
        return DropReason.None;
    }

    /// <summary>
    /// Writes one NODES contact: its address, then its id. An IPv4 contact (nearly every one) is written as one block
    /// with one bounds check; the bytes are the same as through <see cref="WriteAddress"/> and the id.
    /// </summary>
    private static void WriteContact(ref WireWriter w, in WireContact contact)
    {
        var address = contact.Address;
        if (!address.IsIPv4)
        {
            WriteAddress(ref w, address);
            w.WriteNodeId(contact.Id);
            return;
        }

        var block = w.Advance(IPv4ContactSize);
        block[0] = FamilyIPv4;
        BinaryPrimitives.WriteUInt32BigEndian(block.Slice(1, 4), (uint)address.Low);
        BinaryPrimitives.WriteUInt16BigEndian(block.Slice(5, 2), address.Port);
        contact.Id.WriteTo(block.Slice(7, NodeId.Size));
    }

    private static void WriteAddress(ref WireWriter w, PeerAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.IsIPv4)
        {
            w.WriteByte(FamilyIPv4);
            address.WriteAddress4(bytes);
            w.WriteBytes(bytes[..4]);
        }
        else
        {
            w.WriteByte(FamilyIPv6);
            address.WriteAddress16(bytes);
            w.WriteBytes(bytes);
        }

        w.WriteUInt16(address.Port);
    }

    private static DropReason TryReadAddress(ref WireReader r, out PeerAddress address)
    {
        address = default;
        if (!r.TryReadByte(out var family))
        {
            return DropReason.Truncated;
        }

        if (family is not (FamilyIPv4 or FamilyIPv6))
        {
            return DropReason.InvalidField;
        }

        if (!r.TryReadBytes(family == FamilyIPv4 ? 4 : 16, out var bytes) || !r.TryReadUInt16(out var port))
        {
            return DropReason.Truncated;
        }

        address = family == FamilyIPv4 ? PeerAddress.FromIPv4(bytes, port) : PeerAddress.FromIPv6(bytes, port);

        // One encoding per address: an IPv4 address must use family 4, never its IPv6-mapped form.
        return family == FamilyIPv6 && address.IsIPv4 ? DropReason.InvalidField : DropReason.None;
    }
}
