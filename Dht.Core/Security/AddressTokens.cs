using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Dht.Protocol;

namespace Dht.Security;

/// <summary>
/// Address-validation and write tokens (BEP 5 style): token = first 16 bytes of HMAC-SHA-256(secret, node id ||
/// address || port). The secret rotates every <c>rotation</c>; tokens from the current and previous secret verify.
/// A request carrying a valid token proves the sender receives traffic at its source address.
/// </summary>
/// <remarks>
/// A struct held inline in the engine object, with both secrets inline in it: every request served verifies and issues
/// a token, and as an object with two secret arrays of its own this was up to three more cache misses per request at
/// 10^5 simulated engines. A copy would rotate on its own, so it must never be taken: the engine uses its field.
/// </remarks>
internal struct AddressTokens
{
    private readonly ICryptoSuite _crypto;
    private readonly ulong _seed;
    private readonly TimeSpan _rotation;
    private Secret _current;
    private Secret _previous;
    private Instant _rotatedAt;
    private ulong _epoch;

    public AddressTokens(ICryptoSuite crypto, ulong seed, TimeSpan rotation, Instant now)
    {
        _crypto = crypto;
        _seed = seed;
        _rotation = rotation;
        DeriveSecret(_epoch++, _previous);
        DeriveSecret(_epoch++, _current);
        _rotatedAt = now;
    }

    public UInt128 Issue(NodeId requester, PeerAddress address, Instant now)
    {
        RotateIfDue(now);
        return Compute(_current, requester, address);
    }

    public bool Verify(UInt128 token, NodeId requester, PeerAddress address, Instant now)
    {
        RotateIfDue(now);
        return token == Compute(_current, requester, address) || token == Compute(_previous, requester, address);
    }

    private void RotateIfDue(Instant now)
    {
        if (now - _rotatedAt < _rotation)
        {
            return;
        }

        // More than two periods idle: both secrets are stale.
        var periods = (now - _rotatedAt).Ticks / _rotation.Ticks;
        if (periods >= 2)
        {
            DeriveSecret(_epoch++, _previous);
        }
        else
        {
            ((ReadOnlySpan<byte>)_current).CopyTo(_previous);
        }

        DeriveSecret(_epoch++, _current);
        _rotatedAt = now;
    }

    private void DeriveSecret(ulong epoch, Span<byte> secret)
    {
        Span<byte> context = stackalloc byte[5 + 8 + 8];
        "token"u8.CopyTo(context);
        BinaryPrimitives.WriteUInt64BigEndian(context[5..], _seed);
        BinaryPrimitives.WriteUInt64BigEndian(context[13..], epoch);
        _crypto.DeriveLocalSecret(context, secret);
    }

    private readonly UInt128 Compute(ReadOnlySpan<byte> secret, NodeId requester, PeerAddress address)
    {
        Span<byte> data = stackalloc byte[NodeId.Size + 16 + 2];
        requester.WriteTo(data);
        address.WriteAddress16(data[NodeId.Size..]);
        BinaryPrimitives.WriteUInt16BigEndian(data[(NodeId.Size + 16)..], address.Port);
        Span<byte> mac = stackalloc byte[16];
        _crypto.Mac(secret, data, mac);
        return BinaryPrimitives.ReadUInt128BigEndian(mac);
    }

    /// <summary>One 32-byte secret, held by value.</summary>
    [InlineArray(32)]
    private struct Secret
    {
        private byte _first;
    }
}
