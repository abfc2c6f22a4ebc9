using System.Collections;
using System.Runtime.InteropServices;

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

    /// <summary>
    /// The contacts of <paramref name="contacts"/> as a span: its storage when it is a slice, an array or a list (what
    /// the engine's messages hold), else a copy. The hot paths (encoding an answer, adding a response's contacts to a
    /// lookup) read them this way rather than through the interface, whose indexer is a virtual call per contact.
    /// </summary>
    internal static ReadOnlySpan<WireContact> SpanOf(IReadOnlyList<WireContact> contacts) => contacts switch
    {
        ContactSlice slice => slice.Buffer.AsSpan(0, slice.Count),
        WireContact[] array => array,
        List<WireContact> list => CollectionsMarshal.AsSpan(list),
        _ => contacts.ToArray(),
    };

    public IEnumerator<WireContact> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return Buffer[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
