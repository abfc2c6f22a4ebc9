using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Dht;

/// <summary>
/// A 256-bit identifier in the DHT's XOR key space: a node's id (its Ed25519 public key) or a record's key.
/// </summary>
/// <remarks>
/// Immutable value type; ordering and equality compare the 32 bytes as a big-endian number.
/// Safe to share between threads.
/// </remarks>
public readonly struct NodeId : IEquatable<NodeId>, IComparable<NodeId>
{
    /// <summary>The size of an id in bytes (32).</summary>
    public const int Size = 32;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    internal NodeId(ulong a, ulong b, ulong c, ulong d)
    {
        _a = a;
        _b = b;
        _c = c;
        _d = d;
    }

    /// <summary>Creates an id from exactly 32 bytes.</summary>
    /// <param name="bytes">The 32 bytes of the id, most significant first.</param>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 32 bytes long.</exception>
    public NodeId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            ThrowWrongLength(bytes.Length, nameof(bytes));
        }

        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>True when all 256 bits are zero (never a valid node id).</summary>
    public bool IsZero => (_a | _b | _c | _d) == 0;

    /// <summary>Parses 64 hexadecimal characters.</summary>
    /// <param name="hex">The id as 64 hex digits.</param>
    /// <returns>The id.</returns>
    /// <exception cref="FormatException"><paramref name="hex"/> is not 64 hex digits.</exception>
    public static NodeId Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (!TryParse(hex, out var id))
        {
            throw new FormatException($"A node id is {Size * 2} hexadecimal characters; got \"{(hex.Length > 80 ? hex[..80] + "..." : hex)}\".");
        }

        return id;
    }

    /// <summary>Tries to parse 64 hexadecimal characters.</summary>
    /// <param name="hex">The text to parse.</param>
    /// <param name="id">The id when parsing succeeded.</param>
    /// <returns>True when <paramref name="hex"/> was 64 hex digits.</returns>
    public static bool TryParse(ReadOnlySpan<char> hex, out NodeId id)
    {
        id = default;
        if (hex.Length != Size * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        id = new NodeId(bytes);
        return true;
    }

    /// <summary>Writes the 32 bytes of the id.</summary>
    /// <param name="destination">At least 32 bytes.</param>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            ThrowDestinationTooShort(nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    // The throws live in methods of their own: an interpolated message built inline puts its handler on the caller's
    // frame, which every call (and every caller this is inlined into) then zeroes in its prologue.
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWrongLength(int length, string paramName) =>
        throw new ArgumentException($"A node id is {Size} bytes; got {length}.", paramName);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDestinationTooShort(string paramName) => throw new ArgumentException($"Need {Size} bytes.", paramName);

    /// <summary>Returns the 32 bytes of the id in a new array.</summary>
    /// <returns>A new 32-byte array.</returns>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>The XOR distance between two ids, itself a 256-bit number.</summary>
    /// <param name="other">The other id.</param>
    /// <returns>This id XOR <paramref name="other"/>.</returns>
    public NodeId Xor(NodeId other) => new(_a ^ other._a, _b ^ other._b, _c ^ other._c, _d ^ other._d);

    /// <summary>The number of leading bits this id shares with <paramref name="other"/> (0 to 256).</summary>
    /// <param name="other">The other id.</param>
    /// <returns>The common-prefix length in bits.</returns>
    public int CommonPrefixLength(NodeId other)
    {
        var x = _a ^ other._a;
        if (x != 0)
        {
            return BitOperations.LeadingZeroCount(x);
        }

        x = _b ^ other._b;
        if (x != 0)
        {
            return 64 + BitOperations.LeadingZeroCount(x);
        }

        x = _c ^ other._c;
        if (x != 0)
        {
            return 128 + BitOperations.LeadingZeroCount(x);
        }

        x = _d ^ other._d;
        return x != 0 ? 192 + BitOperations.LeadingZeroCount(x) : 256;
    }

    /// <summary>Compares the XOR distances of <paramref name="x"/> and <paramref name="y"/> to <paramref name="target"/>.</summary>
    /// <returns>Negative when <paramref name="x"/> is closer, positive when <paramref name="y"/> is closer, zero when equal.</returns>
    internal static int CompareDistance(NodeId x, NodeId y, NodeId target) => x.Xor(target).CompareTo(y.Xor(target));

    /// <summary>Returns the bit at <paramref name="index"/> (0 = most significant).</summary>
    internal int GetBit(int index)
    {
        var word = (index >> 6) switch { 0 => _a, 1 => _b, 2 => _c, _ => _d };
        return (int)((word >> (63 - (index & 63))) & 1);
    }

    /// <summary>
    /// Returns a copy whose <paramref name="count"/> bits starting at <paramref name="index"/> are the low bits of
    /// <paramref name="value"/>, most significant first (bits past 255 are ignored).
    /// </summary>
    internal NodeId WithBits(int index, int count, int value)
    {
        var id = this;
        for (var j = 0; j < count && index + j < Size * 8; j++)
        {
            var want = (value >> (count - 1 - j)) & 1;
            id = id.GetBit(index + j) == want ? id : id.FlipBit(index + j);
        }

        return id;
    }

    /// <summary>Returns a copy with the bit at <paramref name="index"/> flipped.</summary>
    internal NodeId FlipBit(int index)
    {
        var mask = 1UL << (63 - (index & 63));
        return (index >> 6) switch
        {
            0 => new NodeId(_a ^ mask, _b, _c, _d),
            1 => new NodeId(_a, _b ^ mask, _c, _d),
            2 => new NodeId(_a, _b, _c ^ mask, _d),
            _ => new NodeId(_a, _b, _c, _d ^ mask),
        };
    }

    /// <summary>Keeps the first <paramref name="bits"/> bits and sets all later bits to 1 (<paramref name="ones"/>) or 0.</summary>
    internal NodeId KeepPrefix(int bits, bool ones)
    {
        static ulong Word(ulong w, int keep, bool ones)
        {
            if (keep >= 64)
            {
                return w;
            }

            if (keep <= 0)
            {
                return ones ? ulong.MaxValue : 0;
            }

            var mask = ulong.MaxValue << (64 - keep);
            return ones ? (w & mask) | ~mask : w & mask;
        }

        return new NodeId(Word(_a, bits, ones), Word(_b, bits - 64, ones), Word(_c, bits - 128, ones), Word(_d, bits - 192, ones));
    }

    /// <summary>The first 64 bits, most significant first (cheap ordering and hashing).</summary>
    internal ulong High64 => _a;

    /// <summary>
    /// The last 16 bits of the id: a cheap filter for scans over ids that share a long prefix (a routing bucket's
    /// entries), where the first bits are all equal. Equal ids have equal tags; equal tags say nothing.
    /// </summary>
    internal ushort Tag => (ushort)_d;

    /// <inheritdoc/>
    public int CompareTo(NodeId other)
    {
        var c = _a.CompareTo(other._a);
        if (c != 0)
        {
            return c;
        }

        c = _b.CompareTo(other._b);
        if (c != 0)
        {
            return c;
        }

        c = _c.CompareTo(other._c);
        return c != 0 ? c : _d.CompareTo(other._d);
    }

    /// <inheritdoc/>
    public bool Equals(NodeId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is NodeId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    /// <summary>The id as 64 lowercase hex digits.</summary>
    /// <returns>The hex text.</returns>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(NodeId left, NodeId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(NodeId left, NodeId right) => !left.Equals(right);

    /// <summary>Big-endian ordering.</summary>
    public static bool operator <(NodeId left, NodeId right) => left.CompareTo(right) < 0;

    /// <summary>Big-endian ordering.</summary>
    public static bool operator >(NodeId left, NodeId right) => left.CompareTo(right) > 0;

    /// <summary>Big-endian ordering.</summary>
    public static bool operator <=(NodeId left, NodeId right) => left.CompareTo(right) <= 0;

    /// <summary>Big-endian ordering.</summary>
    public static bool operator >=(NodeId left, NodeId right) => left.CompareTo(right) >= 0;
}
