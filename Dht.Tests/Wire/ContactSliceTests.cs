using System.Collections.ObjectModel;
using Dht.Protocol;
using Dht.Wire;

namespace Dht.Tests.Wire;

/// <summary>The contact views the codec and the lookup read as spans: every list shape gives its contacts in order.</summary>
[TestClass]
public sealed class ContactSliceTests
{
    private static readonly WireContact[] Three =
    [
        new(Id(1), PeerAddress.FromIPv4([10, 0, 0, 1], 4000)),
        new(Id(2), PeerAddress.FromIPv4([10, 0, 0, 2], 4001)),
        new(Id(3), PeerAddress.FromIPv4([10, 0, 0, 3], 4002)),
    ];

    private static NodeId Id(byte b) => new(Enumerable.Repeat(b, NodeId.Size).ToArray());

    [TestMethod]
    public void SpanOf_SliceArrayListAndOtherLists_GiveTheSameContacts()
    {
        var slice = new ContactSlice();
        Three.CopyTo(slice.Buffer, 0);
        slice.Buffer[3] = Three[0]; // past the view: must not show
        slice.Take(3);

        IReadOnlyList<WireContact>[] shapes = [slice, Three, new List<WireContact>(Three), new ReadOnlyCollection<WireContact>(Three)];
        foreach (var shape in shapes)
        {
            CollectionAssert.AreEqual(Three, ContactSlice.SpanOf(shape).ToArray(), shape.GetType().Name);
        }

        Assert.AreEqual(0, ContactSlice.SpanOf(slice.Take(0)).Length);
    }

    [TestMethod]
    public void Encode_OfAnyListShape_GivesTheSameBytes()
    {
        byte[]? first = null;
        foreach (IReadOnlyList<WireContact> shape in new IReadOnlyList<WireContact>[] { Three, new List<WireContact>(Three), new ReadOnlyCollection<WireContact>(Three) })
        {
            var m = new Message { Type = MessageType.Nodes, RequestId = 7, Total = 1, Contacts = shape };
            var bytes = new byte[MessageCodec.GetEncodedLength(m)];
            Assert.AreEqual(bytes.Length, MessageCodec.Encode(m, bytes));
            first ??= bytes;
            CollectionAssert.AreEqual(first, bytes, shape.GetType().Name);
        }
    }
}
