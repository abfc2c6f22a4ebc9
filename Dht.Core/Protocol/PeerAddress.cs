using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Dht.Protocol;

/// <summary>
/// A UDP endpoint as a small value type: an IPv6 address (IPv4 kept in its mapped form ::ffff:a.b.c.d) and a port.
/// Equality, hashing and ordering never allocate, so the engine can key tables by it.
/// </summary>
internal readonly struct PeerAddress : IEquatable<PeerAddress>, IComparable<PeerAddress>
{
    private const ulong V4MappedPrefixLow = 0x0000FFFF00000000UL;

    public PeerAddress(ulong high, ulong low, ushort port)
    {
        High = high;
        Low = low;
        Port = port;
    }

    /// <summary>First 64 bits of the IPv6 (or mapped IPv4) address, big-endian.</summary>
    public ulong High { get; }

    /// <summary>Last 64 bits of the address, big-endian.</summary>
    public ulong Low { get; }

    public ushort Port { get; }

    public bool IsIPv4 => High == 0 && (Low & 0xFFFFFFFF00000000UL) == V4MappedPrefixLow;

    /// <summary>True for the unspecified address or port 0: never a valid peer.</summary>
    public bool IsUnspecified => Port == 0 || (High == 0 && (Low == 0 || Low == V4MappedPrefixLow));

    public static PeerAddress FromIPv4(ReadOnlySpan<byte> address4, ushort port) =>
        new(0, V4MappedPrefixLow | BinaryPrimitives.ReadUInt32BigEndian(address4), port);

    public static PeerAddress FromIPv6(ReadOnlySpan<byte> address16, ushort port) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(address16), BinaryPrimitives.ReadUInt64BigEndian(address16[8..]), port);

    public static PeerAddress FromEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Span<byte> bytes = stackalloc byte[16];
        var address = endPoint.Address;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return FromIPv4(bytes[..4], (ushort)endPoint.Port);
        }

        address.TryWriteBytes(bytes, out _);
        return FromIPv6(bytes, (ushort)endPoint.Port);
    }

    public IPEndPoint ToEndPoint()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (IsIPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Low);
            return new IPEndPoint(new IPAddress(bytes[..4]), Port);
        }

        WriteAddress16(bytes);
        return new IPEndPoint(new IPAddress(bytes), Port);
    }

    /// <summary>Writes the 16-byte (IPv6 or mapped IPv4) address.</summary>
    public void WriteAddress16(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
    }

    /// <summary>Writes the 4-byte IPv4 address; only valid when <see cref="IsIPv4"/>.</summary>
    public void WriteAddress4(Span<byte> destination) => BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)Low);

    public bool Equals(PeerAddress other) => High == other.High && Low == other.Low && Port == other.Port;

    public override bool Equals(object? obj) => obj is PeerAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(High, Low, Port);

    public int CompareTo(PeerAddress other)
    {
        var c = High.CompareTo(other.High);
        if (c != 0)
        {
            return c;
        }

        c = Low.CompareTo(other.Low);
        return c != 0 ? c : Port.CompareTo(other.Port);
    }

    public static bool operator ==(PeerAddress left, PeerAddress right) => left.Equals(right);

    public static bool operator !=(PeerAddress left, PeerAddress right) => !left.Equals(right);

    public override string ToString() => ToEndPoint().ToString();
}
