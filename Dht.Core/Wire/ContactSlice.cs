using System.Collections;

namespace Dht.Wire;

/// <summary>
/// A reusable buffer for the contacts of a NODES answer, and the list view of its first <see cref="Count"/> entries that
/// the decoded message hands out. The engines of a thread share one (as they share the decoded message), so decoding
/// a NODES answer allocates nothing: an <see cref="ArraySegment{T}"/> stored as <see cref="IReadOnlyList{T}"/> was
/// boxed on every answer. The contacts are valid only until the next decode into the same instance; consumers copy
/// what they keep.
/// </summary>
internal sealed class ContactSlice : IReadOnlyList<WireContact>
{
    /// <summary>Room for the most contacts one datagram can carry.</summary>
    internal WireContact[] Buffer { get; } = new WireContact[MessageCodec.MaxContactsPerDatagram];

    public int Count { get; private set; }

    public WireContact this[int index] =>
        (uint)index < (uint)Count ? Buffer[index] : throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must be below {Count}.");

    /// <summary>Makes the view the first <paramref name="count"/> entries of <see cref="Buffer"/>; returns this instance.</summary>
    internal ContactSlice Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Buffer.Length);
        Count = count;
        return this;
    }

    public IEnumerator<WireContact> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return Buffer[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
