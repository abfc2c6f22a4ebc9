using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Dht.Protocol;
using Dht.Routing;
using Dht.Security;
using Dht.Simulator.Crypto;
using Dht.Simulator.Metrics;
using Dht.Simulator.Scenarios;

namespace Dht.Simulator.World;

/// <summary>
/// The simulated world: a virtual clock and one event queue ordered by (time, sequence) that delivers datagrams and
/// timer wake-ups straight into each node's <see cref="DhtEngine"/>, the same engine real nodes run. One thread, no
/// tasks; every random draw comes from generators seeded from the scenario's seed, so a run replays exactly.
/// </summary>
internal sealed partial class SimWorld : IDisposable
{
    private readonly Scenario _scenario;
    private readonly EventQueue _queue = new();
    private readonly Xoshiro256 _rng;
    private readonly Xoshiro256 _netRng;
    private readonly EngineOptions _engineOptions;
    private readonly List<SimNode> _nodes;

    /// <summary>Per-node loop state, indexed like <see cref="_nodes"/> (see <see cref="NodeHot"/>).</summary>
    private readonly NodeHot[] _hot;
    private readonly NodeNet[] _net;

    /// <summary>Each node's engine (null while it is not running), indexed like <see cref="_nodes"/>: 8 bytes per node.</summary>
    private readonly DhtEngine?[] _engines;

    // One directory for every engine: each node's id and address is interned once per process, and routing tables
    // hold 4-byte handles into it. Safe because the whole world runs on one thread.
    private readonly PeerDirectory _directory = new();

    /// <summary>With real crypto, the engines' shared cache of peers' keys in X25519 form (see <see cref="CreateNodes"/>).</summary>
    private MontgomeryKeyCache? _peerKeys;

    /// <summary>With real crypto, session keys one end of a pair derived for the other to take (see <see cref="CreateNodes"/>).</summary>
    private SessionKeyMemo? _sessionKeys;

    /// <summary>Keys <see cref="_sessionKeys"/> holds at most (about 12 MB when full).</summary>
    private const int SessionKeyMemoCapacity = 1 << 16;
    private readonly List<int> _up = [];
    private NodeId[]? _sortedIds;
    private int[]? _sortedOrder;
    private readonly byte[] _transmitBuffer = new byte[2048];
    private readonly DatagramSlab _inFlight = new();
    private readonly XxHash3 _trace = new();
    private readonly byte[] _traceScratch = new byte[32];
    private readonly long _endTicks;
    private long _sequence;
    private long _now;
    private long _events;
    private System.Diagnostics.Stopwatch? _loopWall;

    public SimWorld(Scenario scenario, bool realCrypto, Action<string>? log = null)
    {
        _scenario = scenario;
        RealCrypto = realCrypto;
        _rng = new Xoshiro256(scenario.Seed);
        _netRng = new Xoshiro256(scenario.Seed ^ 0x6E6574776F726BUL);
        _endTicks = Ticks(scenario.DurationSeconds);
        _engineOptions = BuildEngineOptions(scenario);
        _engineOptions.LookupDetails = OnLookupDetails;
        _engineOptions.Validate();
        Log = log ?? (_ => { });
        _nodes = new List<SimNode>(scenario.Nodes);
        _hot = new NodeHot[scenario.Nodes];
        _net = new NodeNet[scenario.Nodes];
        _engines = new DhtEngine?[scenario.Nodes];
        CreateNodes();
        PlaceNodes();
    }

    public bool RealCrypto { get; }

    public Action<string> Log { get; }

    public Accounting Accounting { get; } = new();

    public List<OperationRecord> Operations { get; } = [];

    public List<TimelineRow> Timeline { get; } = [];

    public List<string> Violations { get; } = [];

    public long Events => _events;

    /// <summary>Wall seconds spent before the first event (creating engines, warm start): reported, not simulated.</summary>
    public double SetupWallSeconds { get; private set; }

    /// <summary>Bytes allocated on the managed heap while events ran (a performance figure, not part of the trace).</summary>
    public long AllocatedBytes { get; private set; }

    /// <summary>Wall seconds of the event loop alone (no setup, no final checks or reports).</summary>
    public double EventLoopWallSeconds { get; private set; }

    /// <summary>Wall seconds of the event loop so far (for the progress line): zero before it starts, final once it ends.</summary>
    public double LoopWallSecondsSoFar => _loopWall?.Elapsed.TotalSeconds ?? EventLoopWallSeconds;

    /// <summary>Wall seconds the garbage collector paused the event loop.</summary>
    public double GcPauseSeconds { get; private set; }

    /// <summary>Garbage collections during the event loop, by generation (a gen-2 collection counts in all three).</summary>
    public int[] GcCollections { get; private set; } = [0, 0, 0];

    /// <summary>Bytes reserved for datagrams in flight: the slab's peak, since it never gives chunks back.</summary>
    public long InFlightBytesReserved => _inFlight.BytesReserved;

    public double NowSeconds => _now / (double)TimeSpan.TicksPerSecond;

    public double EndSeconds => _scenario.DurationSeconds;

    public int LiveNodes => _up.Count;

    public IReadOnlyList<SimNode> Nodes => _nodes;

    /// <summary>The peer directory shared by every engine (empty again once every engine is disposed).</summary>
    internal PeerDirectory Directory => _directory;

    /// <summary>Hex of the hash over every processed event in order: equal for equal (scenario, seed, build).</summary>
    public string TraceHash => Convert.ToHexStringLower(_trace.GetCurrentHash());

    public static long Ticks(double seconds) => (long)(seconds * TimeSpan.TicksPerSecond);

    private static EngineOptions BuildEngineOptions(Scenario s) => new()
    {
        K = s.K,
        Alpha = s.Alpha,
        RecordTtl = TimeSpan.FromSeconds(s.RecordTtlSeconds),
        RepublishInterval = TimeSpan.FromSeconds(s.RepublishSeconds),
        ReplicationInterval = TimeSpan.FromSeconds(s.ReplicationSeconds),
        StoreFanout = s.Checks.BreakReplication ? 1 : null,
        PutReturnQuorum = s.PutReturnQuorum,
        NearKeyParallelism = s.NearKeyParallelism,

        // Simulated addresses are dense private ranges, so the subnet diversity limits would bite: off in the simulator.
        Routing = new Dht.Routing.RoutingOptions { K = s.K, BucketSplitBits = s.BucketSplitBits, MaxContactsPerSubnetInTable = 0, MaxContactsPerSubnetPerBucket = 0 },
        MaxSessions = s.MaxSessions,
        SessionIdleTimeout = TimeSpan.FromSeconds(s.SessionIdleSeconds),
    };

    private void CreateNodes()
    {
        for (var i = 0; i < _scenario.Nodes; i++)
        {
            ICryptoSuite crypto;
            NodeId id;
            if (RealCrypto)
            {
                var seed = new byte[32];
                _rng.NextBytes(seed);
                var identity = DhtIdentity.FromSeed(seed);
                // One cache of converted keys for every engine: each node's key is converted to X25519 once per run,
                // not once by every node that derives a session with it; and each pair's session key is derived by one
                // end and taken by the other (SharedAgreementSuite). The keys, so the runs, are the same either way.
                var real = new NSecCryptoSuite(identity, _peerKeys ??= new MontgomeryKeyCache(Math.Max(1, _scenario.Nodes)));
                crypto = new SharedAgreementSuite(real, _sessionKeys ??= new SessionKeyMemo(SessionKeyMemoCapacity));
                id = identity.Id;
            }
            else
            {
                id = _rng.NextNodeId();
                crypto = new ModeledCryptoSuite(id);
            }

            _nodes.Add(new SimNode(i, id, crypto, AddressOf(i), _hot, _net, _engines));
        }
    }

    /// <summary>Node i listens on 10.a.b.c:4000 with a.b.c = i + 1; the address maps back to i without a table.</summary>
    public static PeerAddress AddressOf(int index)
    {
        var n = index + 1;
        return PeerAddress.FromIPv4([10, (byte)(n >> 16), (byte)(n >> 8), (byte)n], 4000);
    }

    public static int IndexOf(PeerAddress address) =>
        address.IsIPv4 && address.Port == 4000 && (address.Low & 0xFF000000UL) == 0x0A000000UL
            ? (int)(address.Low & 0x00FFFFFFUL) - 1
            : -1;

    // ------------------------------------------------------------------ event loop

    private void Schedule(long time, SimEvent e) => _queue.Enqueue(e, new EventKey(time, _sequence++));

    /// <summary>Runs the scenario to its end. <paramref name="progress"/> is called about every simulated second.</summary>
    // The event loop is one long-running method: compiled fully optimized at once, it never runs as tier-0 code waiting
    // for on-stack replacement. Every other method tiers up as usual, so those with loops (most of the engine's hot
    // ones) are compiled with the profile their instrumented tier collected.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(Action<SimWorld>? progress = null)
    {
        // Wall time is measured for the report only; it never reaches the simulated world.
        var setup = System.Diagnostics.Stopwatch.StartNew();
        ScheduleStart();

        // Setup (engines, warm start) leaves gigabytes of short-lived garbage behind at 10^5-10^6 nodes. Collecting it
        // here, as part of setup, keeps the event loop's collections about the loop's own allocations.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        SetupWallSeconds = setup.Elapsed.TotalSeconds;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var pauseBefore = GC.GetTotalPauseDuration();
        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var loop = System.Diagnostics.Stopwatch.StartNew();
        _loopWall = loop;
        var nextProgress = 0L;
        while (_queue.TryDequeue(out var e, out var key))
        {
            if (key.Time > _endTicks)
            {
                _queue.Enqueue(e, key);
                break;
            }

            _now = key.Time;
            _events++;
            PrefetchNext();
            TraceEvent(e);
            Dispatch(e);
            if (_now >= nextProgress)
            {
                progress?.Invoke(this);
                nextProgress = _now + TimeSpan.TicksPerSecond;
            }
        }

        _now = _endTicks;
        AllocatedBytes = GC.GetTotalAllocatedBytes() - allocatedBefore;
        EventLoopWallSeconds = loop.Elapsed.TotalSeconds;
        _loopWall = null;
        GcPauseSeconds = (GC.GetTotalPauseDuration() - pauseBefore).TotalSeconds;
        GcCollections = [GC.CollectionCount(0) - collectionsBefore[0], GC.CollectionCount(1) - collectionsBefore[1], GC.CollectionCount(2) - collectionsBefore[2]];
        FinishRun();
        progress?.Invoke(this);
    }

    /// <summary>
    /// Asks the processor to start loading what the next events read first while this event runs, in two stages so that
    /// no hint waits for a load. For the event after next: its node's loop-state slot, for a delivery both nodes'
    /// network-state slots and the datagram's bytes, and the whole engine object of its node (whose address comes from
    /// the small engine array, which stays in cache). For the next event, a delivery, whose engine and bytes the stage
    /// before brought in: the engine's own hints for that datagram (<see cref="DhtEngine.HintDatagram"/>: the sender's
    /// session chain, routing bucket and directory cell), each a load that depends on the engine's fields. A wake-up or
    /// a delivery stalls on these loads otherwise (docs/benchmarks.md). Only hints: nothing the world or an engine holds
    /// changes, so the events run exactly as without them (the same trace), and an object the collector moves in
    /// between costs nothing but the wasted load.
    /// </summary>
    private unsafe void PrefetchNext()
    {
        if (!MemoryHint.Enabled)
        {
            return;
        }

        if (_queue.TryPeekAt(1, out var after, out _) && after.Node >= 0)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref _hot[after.Node]));
            if (after.Kind == SimEventKind.Deliver)
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref _net[after.Node]));
                Sse.Prefetch0(Unsafe.AsPointer(ref _net[after.From]));
                Sse.Prefetch0(Unsafe.AsPointer(ref MemoryMarshal.GetReference(_inFlight.Get(after.Buffer, after.Length))));
            }

            if (_engines[after.Node] is { } engine)
            {
                MemoryHint.Lines(*(byte**)Unsafe.AsPointer(ref engine), DhtEngine.ObjectBytes);
            }
        }

        if (_queue.TryPeekAt(0, out var next, out _) && next.Kind == SimEventKind.Deliver && next.Node >= 0
            && _engines[next.Node] is { } nextEngine)
        {
            nextEngine.HintDatagram(_net[next.From].Address, _inFlight.Get(next.Buffer, next.Length));
        }
    }

    private void TraceEvent(in SimEvent e)
    {
        var s = _traceScratch.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(s, _now);
        s[8] = (byte)e.Kind;
        BinaryPrimitives.WriteInt32LittleEndian(s[9..], e.Node);
        BinaryPrimitives.WriteInt32LittleEndian(s[13..], e.From);
        BinaryPrimitives.WriteInt32LittleEndian(s[17..], e.Length);
        _trace.Append(s[..21]);
        if (e.Buffer >= 0)
        {
            _trace.Append(_inFlight.Get(e.Buffer, e.Length));
        }
    }

    private void Dispatch(in SimEvent e)
    {
        switch (e.Kind)
        {
            case SimEventKind.Deliver:
                Deliver(e);
                break;
            case SimEventKind.Wake:
                Wake(e.Node);
                break;
            case SimEventKind.Join:
                Join(_nodes[e.Node]);
                break;
            case SimEventKind.Crash:
                Crash(_nodes[e.Node], dead: false);
                break;
            case SimEventKind.Restart:
                Restart(_nodes[e.Node]);
                break;
            case SimEventKind.Workload:
                RunWorkload((WorkloadKind)e.Extra);
                break;
            case SimEventKind.Interval:
                CloseInterval();
                break;
            case SimEventKind.KillDead:
                KillDeadFraction();
                break;
            case SimEventKind.Rebootstrap:
                Rebootstrap(_nodes[e.Node], e.Extra);
                break;
        }
    }

    private void Deliver(in SimEvent e)
    {
        // Like a wake-up, a delivery reads the node's slots in the loop-state and network arrays, not the node objects
        // (the node object only for a NAT check).
        ref var hot = ref _hot[e.Node];
        try
        {
            if (hot.State != NodeState.Up || _engines[e.Node] is not { } engine)
            {
                Accounting.DroppedNodeDown++;
                return;
            }

            if (_net[e.Node].BehindNat && !NatAllows(_nodes[e.Node], e.From))
            {
                Accounting.DroppedNat++;
                return;
            }

            Accounting.Delivered++;
            engine.HandleDatagram(hot.LocalTime(_now), _net[e.From].Address, _inFlight.Get(e.Buffer, e.Length));
            Drain(e.Node);
        }
        finally
        {
            _inFlight.Return(e.Buffer);
        }
    }

    private void Wake(int index)
    {
        // Only the node's slot in the loop-state array and its engine are read here; the node object is read by Drain
        // only when the engine has something to send or report.
        ref var hot = ref _hot[index];
        if (hot.ScheduledWake != _now || _engines[index] is not { } engine || hot.State != NodeState.Up)
        {
            return; // stale wake-up: the node was rescheduled, crashed or restarted since
        }

        hot.ScheduledWake = long.MaxValue;
        engine.HandleTimeout(hot.LocalTime(_now));
        Drain(index);
    }

    /// <summary>After every input: transmits into the network, events to the workload, then the next wake-up.</summary>
    private void Drain(SimNode node) => Drain(node.Index);

    private void Drain(int index)
    {
        var engine = _engines[index]!;
        SimNode? node = null;
        while (engine.TryPollTransmit(_transmitBuffer, out var to, out var length))
        {
            Transmit(index, to, length);
        }

        while (engine.TryPollEvent(out var engineEvent))
        {
            OnEngineEvent(node ??= _nodes[index], engineEvent!);
        }

        if (engine.PollTimeout() is { } next)
        {
            ref var hot = ref _hot[index];
            var global = Math.Max(hot.GlobalTicks(next), _now);
            if (global < hot.ScheduledWake)
            {
                hot.ScheduledWake = global;
                Schedule(global, new SimEvent(SimEventKind.Wake, index));
            }
        }
    }

    private void FinishRun()
    {
        while (_queue.TryDequeue(out var e, out _))
        {
            if (e.Kind == SimEventKind.Deliver)
            {
                Accounting.InFlight++;
                _inFlight.Return(e.Buffer);
            }
        }

        RunFinalChecks();
    }

    public void Dispose()
    {
        _queue.Dispose();
        foreach (var node in _nodes)
        {
            node.Engine?.Dispose();
            (node.Crypto as IDisposable)?.Dispose();
        }
    }
}
