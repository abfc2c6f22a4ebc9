using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Dht.Security;
using Dht.Wire;

namespace Dht.Protocol;

internal sealed partial class DhtEngine
{
    private DropReason ProcessDatagram(PeerAddress from, ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty)
        {
            return DropReason.Empty;
        }

        if (datagram.Length > WireConstants.MaxDatagramSize)
        {
            return DropReason.TooLarge;
        }

        if (datagram.Length < 2)
        {
            return DropReason.TooShort;
        }

        if (datagram[0] != WireConstants.Version)
        {
            return DropReason.UnknownVersion;
        }

        return datagram[1] switch
        {
            WireConstants.PacketSealed => ProcessSealed(from, datagram),
            WireConstants.PacketWhoAreYou => ProcessProbe(from, datagram),
            WireConstants.PacketIdentity => ProcessIdentity(from, datagram),
            _ => DropReason.UnknownPacketType,
        };
    }

    // No zeroing of the plaintext buffer (up to 1.4 KB per datagram): it is read only after TryOpen wrote all of it.
    [SkipLocalsInit]
    private DropReason ProcessSealed(PeerAddress from, ReadOnlySpan<byte> datagram)
    {
        // The smallest message is a PING request: type(1) id(8) token flag(1).
        if (datagram.Length < WireConstants.SealedOverhead + 10)
        {
            return DropReason.TooShort;
        }

        var sender = new NodeId(datagram.Slice(2, NodeId.Size));
        if (sender.IsZero)
        {
            return DropReason.ZeroSenderId;
        }

        if (sender == LocalId)
        {
            return DropReason.SelfSenderId;
        }

        HintSealed(from, sender);
        HintSealedDeep(sender);

        var header = datagram[..WireConstants.SealedHeaderSize];
        var nonce = header[(2 + NodeId.Size)..];
        var ciphertext = datagram[WireConstants.SealedHeaderSize..];
        Span<byte> plaintext = stackalloc byte[ciphertext.Length - SessionKey.TagSize];

        // The key of an unknown sender is cached only once the packet opens with it. Nothing between TryGet (or Add) and
        // TryAcceptNonce adds a session, so the handle cannot go stale in between.
        var cached = _sessions.TryGet(sender, out var session);
        if (cached)
        {
            if (!_crypto.TryOpen(_sessions.KeyOf(session), nonce, header, ciphertext, plaintext))
            {
                return DropReason.DecryptFailed;
            }
        }
        else
        {
            if (!TakeSessionBudget())
            {
                return DropReason.RateLimited;
            }

            if (!_sessions.TryDerive(sender, out var derived))
            {
                return DropReason.InvalidSenderKey;
            }

            var opened = _crypto.TryOpen(derived, nonce, header, ciphertext, plaintext);
            if (opened)
            {
                session = _sessions.Add(sender, from, derived);
            }

            CryptographicOperations.ZeroMemory(derived);
            if (!opened)
            {
                return DropReason.DecryptFailed;
            }
        }

        if (!_sessions.TryAcceptNonce(session, nonce))
        {
            return DropReason.Replay;
        }

        // Contacts are decoded into a reused buffer: every consumer copies what it keeps before the next datagram. The
        // buffer (1.7 KB) is created by the first NODES answer: engines that never run a lookup never need it.
        var scratch = plaintext.Length > 0 && plaintext[0] == (byte)MessageType.Nodes
            ? _decodeContacts ??= new ContactSlice()
            : null;
        // One decoded message per engine, reused like the contact buffer: handlers copy what they keep.
        var message = _decoded ??= new Message();
        var reason = MessageCodec.TryDecode(plaintext, message, scratch);
        if (reason != DropReason.None)
        {
            return reason;
        }

        // The session handle goes along: decoding added no session, so it is still valid, and the handlers need not
        // look the sender up again.
        return message.IsRequest
            ? HandleRequest(from, sender, message, datagram.Length, session)
            : HandleResponse(from, sender, message, session);
    }

    /// <summary>
    /// What a sealed datagram from <paramref name="sender"/> reads next, hinted together so the misses overlap
    /// (<see cref="MemoryHint"/>): the sender's session chain, the least recently used session when the cache is full
    /// (a new session evicts it), its routing bucket, the directory cell a new session takes, and the transmit queue's
    /// tail.
    /// </summary>
    private void HintSealed(PeerAddress from, NodeId sender)
    {
        _sessions.HintChain(sender);
        _sessions.HintEvictee();
        _routing.HintBucket(sender);
        _routing.Directory.HintCell(sender, from);
        _transmit.HintTail();
        MemoryHint.Object(_crypto);
        if (_pending.Count > 0)
        {
            // Only an engine with requests in flight can be receiving an answer.
            _pending.HintSlots();
            _timers.HintEntries();
        }
    }

    /// <summary>
    /// The second step after <see cref="HintSealed"/>, issued at the start of the datagram itself, once the simulator's
    /// look-ahead has had <see cref="HintSealed"/>'s lines loaded an event earlier: what those lines point to (the
    /// session entry the sender's chain starts with, the hash-chain head and directory slot of the session an eviction
    /// would drop, the sender's bucket's contact array, the requests in flight). Reads the lines
    /// <see cref="HintSealed"/> hinted; the misses it starts overlap with opening and decoding the datagram.
    /// </summary>
    private void HintSealedDeep(NodeId sender)
    {
        _sessions.HintChainHead(sender);
        _sessions.HintEvicteeDeep();
        _routing.HintBucketContacts(sender);
        _pending.HintRequests();
    }

    private bool TakeSessionBudget()
    {
        var rate = _options.NewSessionsPerSecond;
        var elapsed = (_now - _sessionBudgetAt).TotalSeconds;
        _sessionBudgetAt = _now;
        _sessionBudget = Math.Min(rate, _sessionBudget + (elapsed * rate));
        if (_sessionBudget < 1)
        {
            return false;
        }

        _sessionBudget -= 1;
        return true;
    }

    /// <summary>
    /// Seals and queues <paramref name="message"/>, zero-padding the datagram to at least <paramref name="minSize"/>.
    /// Returns its size. Adds no session, so the caller's <paramref name="session"/> stays valid across calls.
    /// </summary>
    // No zeroing of the plaintext buffer: the encoder writes every byte of it (padding included), which the length
    // check below makes sure of, so no stack bytes can leave in a datagram.
    [SkipLocalsInit]
    private int SendSealed(Session session, PeerAddress to, Message message, int minSize = 0)
    {
        var plainLength = MessageCodec.GetEncodedLength(message);
        var padding = Math.Max(0, minSize - (plainLength + WireConstants.SealedOverhead));
        plainLength += padding;
        var total = plainLength + WireConstants.SealedOverhead;
        if (total > WireConstants.MaxDatagramSize)
        {
            ThrowTooLarge(total);
        }

        Span<byte> plaintext = stackalloc byte[plainLength];
        if (MessageCodec.Encode(message, plaintext, padding) != plainLength)
        {
            ThrowLengthMismatch(plainLength, message.Type);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(total);
        var span = buffer.AsSpan(0, total);
        span[0] = WireConstants.Version;
        span[1] = WireConstants.PacketSealed;
        LocalId.WriteTo(span[2..]);
        var nonce = span.Slice(2 + NodeId.Size, SessionKey.NonceSize);
        _rng.NextBytes(nonce);
        _crypto.Seal(_sessions.KeyOf(session), nonce, span[..WireConstants.SealedHeaderSize], plaintext, span[WireConstants.SealedHeaderSize..]);
        Enqueue(to, buffer, total);
        return total;
    }

    // The throws of SendSealed live in methods of their own, so that their interpolated messages' handlers are not on
    // its frame, which every datagram sent would zero in the prologue.
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooLarge(int total) =>
        throw new InvalidOperationException($"Message of {total} bytes exceeds the datagram limit; the encoder must split it.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLengthMismatch(int announced, MessageType type) =>
        throw new InvalidOperationException($"Encoder wrote a length other than the {announced} bytes it announced for {type}.");

    // ------------------------------------------------------------ identity probes (bootstrap by address only)

    private void SendProbe(Operation op, PeerAddress address)
    {
        if (address.IsUnspecified || (_probes?.Count ?? 0) >= _options.MaxPendingRequests)
        {
            return;
        }

        var probeId = NewRequestId();
        Probes[probeId] = new PendingProbe(address, op.Id);
        op.ProbesPending++;
        var buffer = ArrayPool<byte>.Shared.Rent(WireConstants.ProbeSize);
        var span = buffer.AsSpan(0, WireConstants.ProbeSize);
        span.Clear();
        span[0] = WireConstants.Version;
        span[1] = WireConstants.PacketWhoAreYou;
        BinaryPrimitives.WriteUInt64BigEndian(span[2..], probeId);
        Enqueue(address, buffer, WireConstants.ProbeSize);
        ScheduleTimer(_now + _options.InitialRequestTimeout, TimerKind.ProbeDeadline, probeId);
    }

    private DropReason ProcessProbe(PeerAddress from, ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < WireConstants.ProbeSize)
        {
            return DropReason.ProbeTooSmall;
        }

        if (datagram[10..].ContainsAnyExcept((byte)0))
        {
            return DropReason.TrailingGarbage;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(WireConstants.IdentitySize);
        var span = buffer.AsSpan(0, WireConstants.IdentitySize);
        span[0] = WireConstants.Version;
        span[1] = WireConstants.PacketIdentity;
        datagram.Slice(2, 8).CopyTo(span[2..]);
        LocalId.WriteTo(span[10..]);
        Enqueue(from, buffer, WireConstants.IdentitySize);
        return DropReason.None;
    }

    private DropReason ProcessIdentity(PeerAddress from, ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length != WireConstants.IdentitySize)
        {
            return datagram.Length < WireConstants.IdentitySize ? DropReason.Truncated : DropReason.TrailingGarbage;
        }

        var probeId = BinaryPrimitives.ReadUInt64BigEndian(datagram[2..]);
        if (_probes is null || !_probes.TryGetValue(probeId, out var probe))
        {
            return DropReason.UnexpectedResponse;
        }

        if (probe.Address != from)
        {
            return DropReason.ResponseFromWrongAddress;
        }

        var id = new NodeId(datagram.Slice(10, NodeId.Size));
        if (id.IsZero || id == LocalId)
        {
            return DropReason.InvalidField;
        }

        _probes.Remove(probeId);
        _timers.Cancel(TimerKind.ProbeDeadline, probeId);
        if (_operations.TryGetValue(probe.OperationId, out var op))
        {
            op.ProbesPending--;

            // The id is unauthenticated here: the node enters the routing table only after it answers a sealed request.
            op.Lookup.AddCandidate(id, from);
            Pump(op);
        }

        return DropReason.None;
    }

    private void OnProbeDeadline(ulong probeId)
    {
        if (_probes is not null && _probes.Remove(probeId, out var probe) && _operations.TryGetValue(probe.OperationId, out var op))
        {
            op.ProbesPending--;
            Pump(op);
        }
    }

    private ulong NewRequestId()
    {
        while (true)
        {
            var id = _rng.NextUInt64();
            if (id != 0 && !_pending.ContainsKey(id) && _probes?.ContainsKey(id) != true)
            {
                return id;
            }
        }
    }
}
