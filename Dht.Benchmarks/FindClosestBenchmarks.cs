using BenchmarkDotNet.Attributes;
using Dht.Protocol;
using Dht.Routing;
using Dht.Wire;

namespace Dht.Benchmarks;

/// <summary>
/// The routing-table query behind every FIND_NODE answered (and every FIND_VALUE miss): the k = 20 contacts closest to
/// a target, stale ones and the requester left out, as the wire contacts of the answer. Each table is filled as a
/// node's table in a network of 10^5 nodes: full buckets for the first levels, then the sparse deep ones (from a
/// population of 100,000 random ids, 2,000 random offers plus every id sharing at least 7 bits with the node's).
/// Targets share 0 to 16 leading bits with the answering node's id, uniformly, as the successive hops of lookups ask.
/// With <see cref="Tables"/> = 1 the table stays in the cache (the work alone); with 2,048 tables, each query picks a
/// random one, as in a large simulation where a node's table is rarely still cached.
/// </summary>
[MemoryDiagnoser]
public class FindClosestBenchmarks
{
    private const int Batch = 1024;
    private const int K = 20;

    private RoutingTable[] _tables = [];
    private NodeId[] _targets = [];
    private NodeId[] _requesters = [];
    private int[] _tableOf = [];
    private readonly List<Contact> _closest = new(K);
    private readonly WireContact[] _answer = new WireContact[K];

    /// <summary>Tables queried (1: in cache; 2,048: mostly not).</summary>
    [Params(1, 2048)]
    public int Tables { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Xoshiro256(7);
        var population = new NodeId[100_000];
        for (var i = 0; i < population.Length; i++)
        {
            population[i] = rng.NextNodeId();
        }

        Array.Sort(population);
        var options = new RoutingOptions { K = K, MaxContactsPerSubnetInTable = 0, MaxContactsPerSubnetPerBucket = 0 };
        var directory = new PeerDirectory();
        var now = new Instant(TimeSpan.TicksPerDay);
        _tables = new RoutingTable[Tables];
        for (var t = 0; t < Tables; t++)
        {
            var local = rng.NextNodeId();
            var table = new RoutingTable(local, options, directory);
            for (var o = 0; o < 2000; o++)
            {
                Offer(ref table, population[rng.NextInt32(population.Length)], now, ref rng);
            }

            var low = local.KeepPrefix(7, ones: false);
            var high = local.KeepPrefix(7, ones: true);
            var first = Array.BinarySearch(population, low);
            for (var i = first >= 0 ? first : ~first; i < population.Length && population[i] <= high; i++)
            {
                Offer(ref table, population[i], now, ref rng);
            }

            _tables[t] = table;
        }

        _targets = new NodeId[Batch];
        _requesters = new NodeId[Batch];
        _tableOf = new int[Batch];
        for (var q = 0; q < Batch; q++)
        {
            _tableOf[q] = rng.NextInt32(Tables);
            var local = _tables[_tableOf[q]].LocalId;
            var shared = rng.NextInt32(17);
            _targets[q] = Mix(local.FlipBit(shared), rng.NextNodeId(), shared + 1);
            _requesters[q] = population[rng.NextInt32(population.Length)];
        }
    }

    [Benchmark(Description = "k closest as wire contacts (FIND_NODE answer)", OperationsPerInvoke = Batch)]
    public int Answer()
    {
        var sum = 0;
        Span<int> handles = stackalloc int[K];
        for (var q = 0; q < Batch; q++)
        {
            ref var table = ref _tables[_tableOf[q]];
            var n = table.FindClosestPeers(_targets[q], _requesters[q], handles);
            for (var i = 0; i < n; i++)
            {
                _answer[i] = new WireContact(table.PeerIdOf(handles[i]), table.PeerAddressOf(handles[i]));
            }

            sum += n;
        }

        return sum;
    }

    [Benchmark(Description = "k closest as contacts (a lookup's start)", OperationsPerInvoke = Batch)]
    public int Contacts()
    {
        var sum = 0;
        for (var q = 0; q < Batch; q++)
        {
            sum += _tables[_tableOf[q]].FindClosest(_targets[q], K, _closest);
        }

        return sum;
    }

    private static void Offer(ref RoutingTable table, NodeId id, Instant now, ref Xoshiro256 rng)
    {
        if (id == table.LocalId)
        {
            return;
        }

        var n = (uint)rng.NextInt32(1 << 24);
        var address = PeerAddress.FromIPv4([10, (byte)(n >> 16), (byte)(n >> 8), (byte)n], 4000);
        table.OnVerifiedReply(id, address, now, TimeSpan.FromMilliseconds(50 + rng.NextInt32(250)));
    }

    /// <summary>The first <paramref name="bits"/> bits of <paramref name="prefix"/>, then the rest of <paramref name="rest"/>.</summary>
    private static NodeId Mix(NodeId prefix, NodeId rest, int bits)
    {
        var id = rest;
        for (var b = 0; b < bits; b++)
        {
            if (id.GetBit(b) != prefix.GetBit(b))
            {
                id = id.FlipBit(b);
            }
        }

        return id;
    }
}
