using System.Buffers.Binary;

namespace Dht.Wire;

/// <summary>A forward-only writer into a span. Callers size the span from the message's computed length.</summary>
internal ref struct WireWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public WireWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly Span<byte> Written => _buffer[.._position];

    public void WriteByte(byte value) => _buffer[_position++] = value;

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], value);
        _position += 2;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer[_position..], value);
        _position += 4;
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_buffer[_position..], value);
        _position += 8;
    }

    public void WriteInt64(long value) => WriteUInt64((ulong)value);

    public void WriteUInt128(UInt128 value)
    {
        BinaryPrimitives.WriteUInt128BigEndian(_buffer[_position..], value);
        _position += 16;
    }

    public void WriteNodeId(NodeId id)
    {
        id.WriteTo(_buffer[_position..]);
        _position += NodeId.Size;
    }

    public void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer[_position..]);
        _position += bytes.Length;
    }

    /// <summary>Returns the next <paramref name="count"/> bytes for the caller to fill, and moves past them.</summary>
    public Span<byte> Advance(int count)
    {
        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }

    public void WriteZeros(int count)
    {
        _buffer.Slice(_position, count).Clear();
        _position += count;
    }
}
