using System.Buffers.Binary;

namespace Dht.Wire;

/// <summary>
/// A strict forward-only reader over one datagram: every read checks the remaining length first and reports
/// failure instead of throwing, so a malformed datagram can never throw out of the receive path.
/// </summary>
internal ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public WireReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly ReadOnlySpan<byte> Rest => _buffer[_position..];

    public bool TryReadByte(out byte value)
    {
        if (Remaining < 1)
        {
            value = 0;
            return false;
        }

        value = _buffer[_position++];
        return true;
    }

    public bool TryReadUInt16(out ushort value)
    {
        if (Remaining < 2)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt16BigEndian(_buffer[_position..]);
        _position += 2;
        return true;
    }

    public bool TryReadUInt32(out uint value)
    {
        if (Remaining < 4)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt32BigEndian(_buffer[_position..]);
        _position += 4;
        return true;
    }

    public bool TryReadUInt64(out ulong value)
    {
        if (Remaining < 8)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt64BigEndian(_buffer[_position..]);
        _position += 8;
        return true;
    }

    public bool TryReadInt64(out long value)
    {
        var ok = TryReadUInt64(out var raw);
        value = (long)raw;
        return ok;
    }

    public bool TryReadUInt128(out UInt128 value)
    {
        if (Remaining < 16)
        {
            value = default;
            return false;
        }

        value = BinaryPrimitives.ReadUInt128BigEndian(_buffer[_position..]);
        _position += 16;
        return true;
    }

    public bool TryReadNodeId(out NodeId value)
    {
        if (Remaining < NodeId.Size)
        {
            value = default;
            return false;
        }

        value = new NodeId(_buffer.Slice(_position, NodeId.Size));
        _position += NodeId.Size;
        return true;
    }

    public bool TryReadBytes(int length, out ReadOnlySpan<byte> value)
    {
        if (length < 0 || Remaining < length)
        {
            value = default;
            return false;
        }

        value = _buffer.Slice(_position, length);
        _position += length;
        return true;
    }

    /// <summary>True when every remaining byte is zero (padding); anything else is trailing garbage.</summary>
    public readonly bool RestIsZeroPadding() => !Rest.ContainsAnyExcept((byte)0);
}
