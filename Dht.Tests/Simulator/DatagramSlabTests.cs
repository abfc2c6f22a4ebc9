using Dht.Protocol;
using Dht.Simulator.World;

namespace Dht.Tests.Simulator;

/// <summary>The simulator's storage for datagrams in flight: sized to the datagram, slots reused, handles never shared.</summary>
[TestClass]
[TestCategory("Simulator")]
public sealed class DatagramSlabTests
{
    [TestMethod]
    public void Rent_EveryLength_RoundTripsAndReservesAtMostOneChunkPerClass()
    {
        var slab = new DatagramSlab();
        var handles = new int[DatagramSlab.MaxLength + 1];
        for (var length = 1; length <= DatagramSlab.MaxLength; length++)
        {
            handles[length] = slab.Rent(length);
            Fill(slab.Get(handles[length], length), length);
        }

        for (var length = 1; length <= DatagramSlab.MaxLength; length++)
        {
            Check(slab.Get(handles[length], length), length, $"length {length}");
        }

        Assert.AreEqual(DatagramSlab.MaxLength, slab.SlotsInUse);
        var classes = DatagramSlab.MaxLength / DatagramSlab.Granularity;
        Assert.IsTrue(slab.BytesReserved <= (long)classes * DatagramSlab.MaxChunkBytes, $"{slab.BytesReserved} bytes reserved");
        for (var length = 1; length <= DatagramSlab.MaxLength; length++)
        {
            slab.Return(handles[length]);
        }

        Assert.AreEqual(0, slab.SlotsInUse);
        Assert.AreEqual(0, slab.BytesInUse);
    }

    [TestMethod]
    public void Rent_SlotSizeRoundsUpToGranularity()
    {
        var slab = new DatagramSlab();
        slab.Rent(1);
        Assert.AreEqual(DatagramSlab.Granularity, slab.BytesInUse);
        slab.Rent(DatagramSlab.Granularity + 1);
        Assert.AreEqual(3 * DatagramSlab.Granularity, slab.BytesInUse);
        slab.Rent(DatagramSlab.MaxLength);
        Assert.AreEqual((3 * DatagramSlab.Granularity) + DatagramSlab.MaxLength, slab.BytesInUse);
    }

    [TestMethod]
    public void Return_ThenRentSameClass_ReusesLastFreedSlotWithoutReserving()
    {
        var slab = new DatagramSlab();
        var a = slab.Rent(100);
        var b = slab.Rent(100);
        var c = slab.Rent(110);
        var reserved = slab.BytesReserved;

        slab.Return(a);
        slab.Return(c);
        Assert.AreEqual(c, slab.Rent(100), "same class (112 bytes), last freed first");
        Assert.AreEqual(a, slab.Rent(97));
        Assert.AreNotEqual(b, slab.Rent(100));
        Assert.AreEqual(reserved, slab.BytesReserved);
    }

    [TestMethod]
    public void Rent_ManyInFlight_ReservesInProportionToLength()
    {
        var slab = new DatagramSlab();
        for (var i = 0; i < 10_000; i++)
        {
            slab.Rent(100);
        }

        // 10,000 slots of 112 bytes in 64 KB chunks; maximum-size buffers would take 12.8 MB.
        Assert.AreEqual(10_000 * 112, slab.BytesInUse);
        Assert.IsTrue(slab.BytesReserved < (10_000 * 112) + DatagramSlab.MaxChunkBytes, $"{slab.BytesReserved} bytes reserved");
    }

    [TestMethod]
    [DataRow(7UL)]
    [DataRow(8UL)]
    public void Rent_RandomRentsAndReturns_HandlesNeverAlias(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var slab = new DatagramSlab();
        var live = new List<(int Handle, int Length, int Tag)>();
        var handles = new HashSet<int>();
        for (var step = 0; step < 40_000; step++)
        {
            if (live.Count > 0 && rng.NextInt32(5) < 2)
            {
                var i = rng.NextInt32(live.Count);
                var (handle, length, tag) = live[i];
                Check(slab.Get(handle, length), tag, $"step {step}, handle {handle}; seed {seed}");
                slab.Return(handle);
                Assert.IsTrue(handles.Remove(handle));
                live[i] = live[^1];
                live.RemoveAt(live.Count - 1);
            }
            else
            {
                // Lengths bunched like real traffic (short probes, mid-size requests, long responses) plus any length.
                var length = rng.NextInt32(4) switch
                {
                    0 => 1 + rng.NextInt32(80),
                    1 => 100 + rng.NextInt32(200),
                    2 => 800 + rng.NextInt32(100),
                    _ => 1 + rng.NextInt32(DatagramSlab.MaxLength),
                };
                var handle = slab.Rent(length);
                Assert.IsTrue(handle >= 0);
                Assert.IsTrue(handles.Add(handle), $"handle {handle} rented twice; seed {seed}");
                Fill(slab.Get(handle, length), step);
                live.Add((handle, length, step));
            }
        }

        Assert.AreEqual(live.Count, slab.SlotsInUse);
        foreach (var (handle, length, tag) in live)
        {
            Check(slab.Get(handle, length), tag, $"handle {handle}; seed {seed}");
        }
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(-1)]
    [DataRow(int.MinValue)]
    [DataRow(DatagramSlab.MaxLength + 1)]
    [DataRow(int.MaxValue)]
    public void Rent_BadLength_Throws(int length)
    {
        var slab = new DatagramSlab();
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => slab.Rent(length));
        Assert.AreEqual(0, slab.SlotsInUse);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(-1)]
    [DataRow(113)]
    public void Get_LengthOutsideSlot_Throws(int length)
    {
        var slab = new DatagramSlab();
        var handle = slab.Rent(100);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => slab.Get(handle, length));
        Assert.AreEqual(112, slab.Get(handle, 112).Length, "the whole slot is readable");
    }

    [TestMethod]
    public void GetAndReturn_UnknownHandle_Throw()
    {
        var slab = new DatagramSlab();
        var rented = slab.Rent(100);
        var freed = slab.Rent(100);
        slab.Return(freed);
        int[] unknown = [-1, int.MinValue, int.MaxValue, rented + 2, rented + 1000, freed, rented ^ (1 << 24), 127 << 24];
        foreach (var handle in unknown)
        {
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => slab.Get(handle, 1), $"Get {handle}");
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => slab.Return(handle), $"Return {handle}");
        }

        Assert.AreEqual(1, slab.SlotsInUse, "failed returns change nothing");
        slab.Return(rented);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => slab.Return(rented), "returned twice");
        Assert.AreEqual(0, slab.SlotsInUse);
    }

    private static void Fill(Span<byte> bytes, int tag)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = Pattern(tag, i);
        }
    }

    private static void Check(ReadOnlySpan<byte> bytes, int tag, string context)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != Pattern(tag, i))
            {
                Assert.Fail($"byte {i} of {bytes.Length} overwritten; {context}");
            }
        }
    }

    private static byte Pattern(int tag, int i) => (byte)((tag * 131) + (i * 7) + (tag >> 8));
}
