using Dht.Protocol;
using Dht.Security;

namespace Dht.Tests.Support;

/// <summary>
/// A tiny deterministic network for engine tests: engines exchange datagrams through an event queue ordered by
/// (time, sequence) with a fixed one-way latency and optional loss. Time only moves when the test runs the network.
/// </summary>
internal sealed class VirtualNetwork : IDisposable
{
    private readonly PriorityQueue<(PeerAddress From, PeerAddress To, byte[] Data), (long, long)> _queue = new();
    private readonly Dictionary<PeerAddress, VirtualNode> _byAddress = [];
    private readonly List<VirtualNode> _nodes = [];
    private readonly Xoshiro256 _rng;
    private readonly byte[] _buffer = new byte[2048];
    private long _seq;

    public VirtualNetwork(ulong seed, TimeSpan? latency = null)
    {
        Seed = seed;
        _rng = new Xoshiro256(seed);
        Latency = latency ?? TimeSpan.FromMilliseconds(20);
    }

    public ulong Seed { get; }

    public TimeSpan Latency { get; }

    public Instant Now { get; private set; } = new(TimeSpan.TicksPerSecond);

    public double LossRate { get; set; }

    public IReadOnlyList<VirtualNode> Nodes => _nodes;

    public long Delivered { get; private set; }

    /// <summary>Datagrams observed in flight (for assertions on what was sent).</summary>
    public List<(PeerAddress From, PeerAddress To, byte[] Data)> Sent { get; } = [];

    public bool RecordSent { get; set; }

    /// <summary>Every maintenance tick runs in full: the engines never skip a quiet one (for differential tests).</summary>
    public bool FullTicks { get; set; }

    /// <param name="options">The engine's options, or null for <see cref="TestOptions"/>.</param>
    /// <param name="identity">The node's identity, or null for one drawn from the network's seed.</param>
    /// <param name="wrapCrypto">Wraps the engine's suite (to count calls), or null.</param>
    public VirtualNode AddNode(EngineOptions? options = null, DhtIdentity? identity = null, Func<NSecCryptoSuite, ICryptoSuite>? wrapCrypto = null)
    {
        // Identities come from the network's seed, so a seed reproduces the same ids, XOR distances and therefore runs.
        if (identity is null)
        {
            Span<byte> keySeed = stackalloc byte[32];
            _rng.NextBytes(keySeed);
            identity = DhtIdentity.FromSeed(keySeed);
        }

        var crypto = new NSecCryptoSuite(identity);
        var index = _nodes.Count + 1;
        var address = PeerAddress.FromIPv4([10, 0, (byte)(index >> 8), (byte)index], 4000);
        var engine = new DhtEngine(options ?? TestOptions(), wrapCrypto?.Invoke(crypto) ?? crypto, _rng.NextUInt64(), Now);
        var node = new VirtualNode(identity, crypto, engine, address);
        _nodes.Add(node);
        _byAddress[address] = node;
        return node;
    }

    public static EngineOptions TestOptions() => new()
    {
        Routing = new Dht.Routing.RoutingOptions { MaxContactsPerSubnetInTable = 0, MaxContactsPerSubnetPerBucket = 0 },
    };

    /// <summary>Injects a raw datagram as if <paramref name="from"/> sent it.</summary>
    public void Inject(PeerAddress from, VirtualNode to, byte[] data) =>
        _queue.Enqueue((from, to.Address, data), ((Now + Latency).Ticks, _seq++));

    /// <summary>Runs until <paramref name="until"/> returns true or <paramref name="limit"/> of virtual time passes.</summary>
    public bool RunUntil(Func<bool> until, TimeSpan limit)
    {
        var end = Now + limit;
        Flush();
        while (!until())
        {
            var next = NextEventTime();
            if (next is null || next.Value > end)
            {
                Now = end;
                return until();
            }

            Now = next.Value;
            Step();
        }

        return true;
    }

    public void RunFor(TimeSpan duration) => RunUntil(() => false, duration);

    public void Stop(VirtualNode node)
    {
        node.Stopped = true;
        _byAddress.Remove(node.Address);
    }

    private Instant? NextEventTime()
    {
        Instant? next = null;
        if (_queue.TryPeek(out _, out var at))
        {
            next = new Instant(at.Item1);
        }

        foreach (var node in _nodes)
        {
            if (!node.Stopped && node.Engine.PollTimeout() is { } t && (next is null || t < next.Value))
            {
                next = t;
            }
        }

        return next;
    }

    private void Step()
    {
        while (_queue.TryPeek(out _, out var at) && at.Item1 <= Now.Ticks)
        {
            var (from, to, data) = _queue.Dequeue();
            if (_byAddress.TryGetValue(to, out var node))
            {
                Delivered++;
                node.Engine.HandleDatagram(Now, from, data);
            }
        }

        foreach (var node in _nodes)
        {
            if (!node.Stopped && node.Engine.PollTimeout() is { } t && t <= Now)
            {
                if (FullTicks)
                {
                    node.Engine.RunNextTickInFull();
                }

                node.Engine.HandleTimeout(Now);
            }
        }

        Flush();
    }

    public void Flush()
    {
        foreach (var node in _nodes)
        {
            if (node.Stopped)
            {
                while (node.Engine.TryPollTransmit(_buffer, out _, out _))
                {
                }

                continue;
            }

            while (node.Engine.TryPollTransmit(_buffer, out var to, out var length))
            {
                var data = _buffer.AsSpan(0, length).ToArray();
                if (RecordSent)
                {
                    Sent.Add((node.Address, to, data));
                }

                if (LossRate > 0 && _rng.NextDouble() < LossRate)
                {
                    continue;
                }

                _queue.Enqueue((node.Address, to, data), ((Now + Latency).Ticks, _seq++));
            }

            while (node.Engine.TryPollEvent(out var e))
            {
                node.Events.Add(e!);
            }
        }
    }

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            node.Engine.Dispose();
            node.Crypto.Dispose();
        }
    }
}

internal sealed class VirtualNode(DhtIdentity identity, NSecCryptoSuite crypto, DhtEngine engine, PeerAddress address)
{
    public DhtIdentity Identity { get; } = identity;

    public NSecCryptoSuite Crypto { get; } = crypto;

    public DhtEngine Engine { get; } = engine;

    public PeerAddress Address { get; } = address;

    public NodeId Id => Identity.Id;

    public bool Stopped { get; set; }

    public List<EngineEvent> Events { get; } = [];

    public T? Completed<T>(long operationId)
        where T : EngineEvent => Events.OfType<T>().FirstOrDefault(e => e.OperationId == operationId);
}
