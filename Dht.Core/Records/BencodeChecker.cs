namespace Dht.Records;

/// <summary>
/// Strict, allocation-free bencode validation (see <see cref="Bep44.IsValidBencode"/>). Recursion is bounded by
/// the depth limit, so hostile input cannot overflow the stack.
/// </summary>
internal static class BencodeChecker
{
    public static bool IsValid(ReadOnlySpan<byte> data, int maxDepth)
    {
        var position = 0;
        return TrySkipValue(data, ref position, maxDepth) && position == data.Length;
    }

    private static bool TrySkipValue(ReadOnlySpan<byte> data, ref int position, int depthLeft)
    {
        if (position >= data.Length)
        {
            return false;
        }

        switch (data[position])
        {
            case (byte)'i':
                return TrySkipInteger(data, ref position);
            case (byte)'l':
                return depthLeft > 0 && TrySkipList(data, ref position, depthLeft - 1);
            case (byte)'d':
                return depthLeft > 0 && TrySkipDictionary(data, ref position, depthLeft - 1);
            default:
                return TryReadByteString(data, ref position, out _, out _);
        }
    }

    private static bool TrySkipInteger(ReadOnlySpan<byte> data, ref int position)
    {
        var p = position + 1; // past 'i'
        var negative = p < data.Length && data[p] == (byte)'-';
        if (negative)
        {
            p++;
        }

        var start = p;
        while (p < data.Length && IsDigit(data[p]))
        {
            p++;
        }

        var digits = p - start;
        if (digits == 0 || p >= data.Length || data[p] != (byte)'e')
        {
            return false;
        }

        if (data[start] == (byte)'0' && (digits > 1 || negative))
        {
            return false; // leading zero, or "-0"
        }

        position = p + 1;
        return true;
    }

    private static bool TrySkipList(ReadOnlySpan<byte> data, ref int position, int depthLeft)
    {
        position++; // past 'l'
        while (position < data.Length && data[position] != (byte)'e')
        {
            if (!TrySkipValue(data, ref position, depthLeft))
            {
                return false;
            }
        }

        if (position >= data.Length)
        {
            return false;
        }

        position++; // past 'e'
        return true;
    }

    private static bool TrySkipDictionary(ReadOnlySpan<byte> data, ref int position, int depthLeft)
    {
        position++; // past 'd'
        var previousStart = -1;
        var previousLength = 0;
        while (position < data.Length && data[position] != (byte)'e')
        {
            if (!TryReadByteString(data, ref position, out var keyStart, out var keyLength))
            {
                return false; // keys must be byte strings
            }

            if (previousStart >= 0
                && data.Slice(previousStart, previousLength).SequenceCompareTo(data.Slice(keyStart, keyLength)) >= 0)
            {
                return false; // keys strictly ascending: no duplicates, no disorder
            }

            previousStart = keyStart;
            previousLength = keyLength;
            if (!TrySkipValue(data, ref position, depthLeft))
            {
                return false;
            }
        }

        if (position >= data.Length)
        {
            return false;
        }

        position++; // past 'e'
        return true;
    }

    private static bool TryReadByteString(ReadOnlySpan<byte> data, ref int position, out int start, out int length)
    {
        start = 0;
        length = 0;
        var p = position;
        long declared = 0;
        var digitsStart = p;
        while (p < data.Length && IsDigit(data[p]))
        {
            declared = (declared * 10) + (data[p] - '0');
            if (declared > data.Length)
            {
                return false; // longer than the whole input: also guards against overflow
            }

            p++;
        }

        var digits = p - digitsStart;
        if (digits == 0 || p >= data.Length || data[p] != (byte)':')
        {
            return false;
        }

        if (data[digitsStart] == (byte)'0' && digits > 1)
        {
            return false; // leading zero in the length
        }

        p++; // past ':'
        if (declared > data.Length - p)
        {
            return false;
        }

        start = p;
        length = (int)declared;
        position = p + length;
        return true;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';
}
