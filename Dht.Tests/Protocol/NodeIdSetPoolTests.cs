using Dht.Protocol;

namespace Dht.Tests.Protocol;

/// <summary>The per-thread pool of empty node-id sets the engine takes its verification and eviction-check sets from.</summary>
[TestClass]
public sealed class NodeIdSetPoolTests
{
    private static NodeId Id(int i) => new((ulong)i << 40, 0, 0, (ulong)i);

    [TestMethod]
    public void Return_ThenRent_TheSameSetComesBackEmpty()
    {
        var set = NodeIdSetPool.Rent();
        set.Add(Id(1));
        set.Add(Id(2));
        NodeIdSetPool.Return(set);
        var again = NodeIdSetPool.Rent();
        Assert.AreSame(set, again, "the set returned last on this thread comes back first");
        Assert.IsEmpty(again);
        Assert.IsFalse(again.Contains(Id(1)));
        Assert.IsTrue(again.Add(Id(3)));
        Assert.AreEqual(Id(3), again.Single(), "enumerates like a new set");
    }

    [TestMethod]
    public void Return_LargeSetOrFullPool_NotKept()
    {
        // Drain whatever earlier tests on this thread left.
        while (NodeIdSetPool.Pooled > 0)
        {
            NodeIdSetPool.Rent();
        }

        var large = new HashSet<NodeId>();
        for (var i = 0; i < 2 * NodeIdSetPool.MaxPooledCapacity; i++)
        {
            large.Add(Id(i));
        }

        NodeIdSetPool.Return(large);
        Assert.AreEqual(0, NodeIdSetPool.Pooled, "a set grown past the bound is left to the collector");
        Assert.IsEmpty(large, "but emptied all the same");

        for (var i = 0; i < NodeIdSetPool.MaxPooled + 10; i++)
        {
            NodeIdSetPool.Return([]);
        }

        Assert.AreEqual(NodeIdSetPool.MaxPooled, NodeIdSetPool.Pooled);
        for (var i = 0; i < NodeIdSetPool.MaxPooled; i++)
        {
            Assert.IsEmpty(NodeIdSetPool.Rent());
        }

        Assert.AreEqual(0, NodeIdSetPool.Pooled);
        Assert.IsNotNull(NodeIdSetPool.Rent(), "an empty pool makes a new set");
    }
}
