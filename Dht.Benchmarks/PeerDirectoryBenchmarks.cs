using BenchmarkDotNet.Attributes;
using Dht.Protocol;
using Dht.Routing;

namespace Dht.Benchmarks;

/// <summary>
/// Finding a held (id, address) pair in the simulator's shared <see cref="PeerDirectory"/>, which every new session
/// and every contact admitted to a table does: 1,024 pairs in random order per invocation, each acquired and released
/// again (the pair stays held, so nothing is added or removed), among <see cref="Pairs"/> pairs, the size of the
/// directory of a 10^5- or 10^6-node run. Baseline: the same operations on the directory as it was before its
/// open-addressed index (a <see cref="Dictionary{TKey, TValue}"/> from the pair to the handle, then the slot),
/// measured in the same run.
/// </summary>
[MemoryDiagnoser]
public class PeerDirectoryBenchmarks
{
    private const int Batch = 1024;

    private NodeId[] _ids = [];
    private PeerAddress[] _addresses = [];
    private int[] _order = [];
    private int _next;
    private PeerDirectory _directory = null!;
    private DictionaryDirectory _baseline = null!;

    /// <summary>Pairs held in the directory.</summary>
    [Params(100_000, 1_000_000)]
    public int Pairs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Xoshiro256(1);
        _ids = new NodeId[Pairs];
        _addresses = new PeerAddress[Pairs];
        _directory = new PeerDirectory();
        _baseline = new DictionaryDirectory();
        for (var i = 0; i < Pairs; i++)
        {
            _ids[i] = rng.NextNodeId();
            var n = i + 1;
            _addresses[i] = PeerAddress.FromIPv4([10, (byte)(n >> 16), (byte)(n >> 8), (byte)n], 4000);
            _directory.Acquire(_ids[i], _addresses[i]);
            _baseline.Acquire(_ids[i], _addresses[i]);
        }

        // Random order over all pairs, so that a lookup's reads are as scattered as in a large simulation.
        _order = Enumerable.Range(0, Pairs).ToArray();
        for (var i = _order.Length - 1; i > 0; i--)
        {
            var j = rng.NextInt32(i + 1);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
    }

    [Benchmark(Description = "open-addressed index: acquire + release a held pair", OperationsPerInvoke = Batch)]
    public int OpenAddressed()
    {
        var sum = 0;
        for (var k = 0; k < Batch; k++)
        {
            var i = NextPair();
            var handle = _directory.Acquire(_ids[i], _addresses[i]);
            _directory.Release(handle);
            sum += handle;
        }

        return sum;
    }

    [Benchmark(Baseline = true, Description = "baseline: Dictionary index: acquire + release a held pair", OperationsPerInvoke = Batch)]
    public int DictionaryIndex()
    {
        var sum = 0;
        for (var k = 0; k < Batch; k++)
        {
            var i = NextPair();
            var handle = _baseline.Acquire(_ids[i], _addresses[i]);
            _baseline.Release(handle);
            sum += handle;
        }

        return sum;
    }

    private int NextPair()
    {
        var i = _order[_next];
        _next = _next + 1 == _order.Length ? 0 : _next + 1;
        return i;
    }

    /// <summary>The directory's lookup as it was before the open-addressed index: a dictionary by pair, then the slot.</summary>
    private sealed class DictionaryDirectory
    {
        private readonly Dictionary<PeerKey, int> _index = [];
        private Slot[] _slots = new Slot[16];
        private int _used;

        public int Acquire(NodeId id, PeerAddress address)
        {
            var key = new PeerKey(id, address);
            if (_index.TryGetValue(key, out var handle))
            {
                _slots[handle].References++;
                return handle;
            }

            if (_used == _slots.Length)
            {
                Array.Resize(ref _slots, _slots.Length * 2);
            }

            handle = _used++;
            _slots[handle] = new Slot { Id = id, Address = address, References = 1 };
            _index.Add(key, handle);
            return handle;
        }

        public void Release(int handle)
        {
            if ((uint)handle >= (uint)_used || _slots[handle].References <= 0)
            {
                throw new InvalidOperationException($"Peer handle {handle} is not held.");
            }

            ref var slot = ref _slots[handle];
            if (--slot.References == 0)
            {
                _index.Remove(new PeerKey(slot.Id, slot.Address));
            }
        }

        private readonly record struct PeerKey(NodeId Id, PeerAddress Address);

        private struct Slot
        {
            public NodeId Id;
            public PeerAddress Address;
            public int References;
            public int NextFree;
        }
    }
}
