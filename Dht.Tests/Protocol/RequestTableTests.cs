using Dht.Protocol;

namespace Dht.Tests.Protocol;

[TestClass]
public sealed class RequestTableTests
{
    /// <summary>Random adds, replaces, removes, lookups and trims against a dictionary; ids from a small range collide often.</summary>
    [TestMethod]
    [DataRow(1UL, 40)]
    [DataRow(2UL, 300)]
    [DataRow(3UL, 5)]
    public void Operations_MatchADictionary(ulong seed, int idRange)
    {
        var rng = new Xoshiro256(seed);
        var table = new RequestTable();
        var model = new Dictionary<ulong, PendingRequest>();
        for (var step = 0; step < 30_000; step++)
        {
            // Ids spread over the whole 64-bit range but drawn from a small set, so runs and wrap-around both occur.
            var id = (ulong)rng.NextInt32(idRange) * 0x9E3779B97F4A7C15UL;
            switch (rng.NextInt32(10))
            {
                case < 4:
                    var request = PendingRequest.Rent();
                    table[id] = request;
                    model[id] = request;
                    break;
                case < 7:
                    Assert.AreEqual(model.Remove(id, out var expected), table.Remove(id, out var removed), $"step {step}; seed {seed}");
                    Assert.AreSame(expected, removed, $"step {step}; seed {seed}");
                    break;
                case < 9:
                    Assert.AreEqual(model.TryGetValue(id, out var want), table.TryGetValue(id, out var got), $"step {step}; seed {seed}");
                    Assert.AreSame(want, got, $"step {step}; seed {seed}");
                    Assert.AreEqual(model.ContainsKey(id), table.ContainsKey(id), $"step {step}; seed {seed}");
                    break;
                default:
                    table.TrimExcess();
                    break;
            }

            Assert.AreEqual(model.Count, table.Count, $"step {step}; seed {seed}");
            Assert.IsLessThanOrEqualTo(table.Capacity, 2 * table.Count, $"at most half full; step {step}; seed {seed}");
        }

        foreach (var (id, request) in model)
        {
            Assert.IsTrue(table.TryGetValue(id, out var got), $"seed {seed}");
            Assert.AreSame(request, got, $"seed {seed}");
        }
    }

    [TestMethod]
    public void TrimExcess_Empty_GivesTheSlotsBack()
    {
        var table = new RequestTable();
        for (var i = 1UL; i <= 40; i++)
        {
            table[i] = PendingRequest.Rent();
        }

        Assert.IsGreaterThanOrEqualTo(80, table.Capacity);
        for (var i = 1UL; i <= 40; i++)
        {
            Assert.IsTrue(table.Remove(i));
        }

        Assert.IsFalse(table.Remove(1));
        table.TrimExcess();
        Assert.AreEqual(0, table.Capacity);
        Assert.IsFalse(table.TryGetValue(7, out _));
    }

    [TestMethod]
    public void SlotsGivenBack_AnotherTableReusesThem_Empty()
    {
        // Slot arrays go back to the shared pool, cleared, when a table grows or is trimmed; the next table to grow
        // takes them from there and must see none of the first table's requests.
        var first = new RequestTable();
        for (var i = 1UL; i <= 100; i++)
        {
            first[i] = PendingRequest.Rent();
        }

        for (var i = 1UL; i <= 100; i++)
        {
            Assert.IsTrue(first.Remove(i));
        }

        first.TrimExcess();
        var second = new RequestTable();
        for (var i = 1UL; i <= 100; i++)
        {
            Assert.IsFalse(second.TryGetValue(i, out _), $"id {i} before any add");
            var request = PendingRequest.Rent();
            second[i + 1000] = request;
            Assert.IsFalse(second.TryGetValue(i, out _), $"id {i} after {i} adds");
            Assert.IsTrue(second.TryGetValue(i + 1000, out var found));
            Assert.AreSame(request, found);
        }

        Assert.AreEqual(100, second.Count);
        Assert.IsTrue(System.Numerics.BitOperations.IsPow2(second.Capacity), $"capacity {second.Capacity}");
    }
}
