using System.Buffers.Binary;
using Dht.Protocol;

namespace Dht.Security;

/// <summary>
/// Address-validation and write tokens (BEP 5 style): token = first 16 bytes of HMAC-SHA-256(secret, node id ||
/// address || port). The secret rotates every <c>rotation</c>; tokens from the current and previous secret verify.
/// A request carrying a valid token proves the sender receives traffic at its source address.
/// </summary>
internal sealed class AddressTokens
{
    private readonly ICryptoSuite _crypto;
    private readonly ulong _seed;
    private readonly TimeSpan _rotation;
    private readonly byte[] _current = new byte[32];
    private readonly byte[] _previous = new byte[32];
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
            _current.CopyTo(_previous, 0);
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

    private UInt128 Compute(byte[] secret, NodeId requester, PeerAddress address)
    {
        Span<byte> data = stackalloc byte[NodeId.Size + 16 + 2];
        requester.WriteTo(data);
        address.WriteAddress16(data[NodeId.Size..]);
        BinaryPrimitives.WriteUInt16BigEndian(data[(NodeId.Size + 16)..], address.Port);
        Span<byte> mac = stackalloc byte[16];
        _crypto.Mac(secret, data, mac);
        return BinaryPrimitives.ReadUInt128BigEndian(mac);
    }
}
