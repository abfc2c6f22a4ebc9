using System.Buffers;
using Dht.Records;
using Dht.Routing;
using Dht.Rpc;
using Dht.Security;
using Dht.Wire;

namespace Dht.Protocol;

/// <summary>
/// The whole protocol as one single-threaded, sans-IO state machine (docs/architecture.md). Inputs:
/// <see cref="HandleDatagram"/>, <see cref="HandleTimeout"/>. Commands: <see cref="StartBootstrap"/>,
/// <see cref="StartPut"/>, <see cref="StartGet"/>, <see cref="Cancel"/>. Outputs, drained after every input or command
/// in this order: <see cref="TryPollTransmit"/>, <see cref="TryPollEvent"/>, then <see cref="PollTimeout"/>.
/// It never reads a clock, opens a socket, starts a thread or draws unseeded randomness.
/// </summary>
internal sealed partial class DhtEngine : IDisposable
{
    /// <summary>Requests without an address token are padded to this size so any answer fits the 3x amplification bound.</summary>
    public const int MinUnvalidatedRequestSize = (WireConstants.MaxDatagramSize + 2) / 3;

    /// <summary>Bootstrap seeds kept for automatic re-bootstrapping.</summary>
    public const int MaxRememberedSeeds = 16;

    /// <summary>Size of an unpadded PING without token: sealing overhead + type, request id, token flag.</summary>
    private const int PingDatagramSize = WireConstants.SealedOverhead + 1 + 8 + 1;

    /// <summary>Timer heaps smaller than this are left alone (trimming them saves next to nothing).</summary>
    private const int MinTimersToTrim = 16;

    /// <summary>
    /// A timer heap is trimmed only when it stayed at a quarter of its capacity or less for this long: an engine whose
    /// lookups come every minute or so (bucket refreshes) would otherwise trim and grow its heap again each time, and
    /// the arrays it drops have lived long enough to reach the collector's oldest generation.
    /// </summary>
    private static readonly TimeSpan TimerTrimWindow = TimeSpan.FromMinutes(10);

    /// <summary>Empty tables and queues with fewer slots than this are left alone.</summary>
    private const int MinSlotsToTrim = 8;

    private readonly EngineOptions _options;
    private readonly ICryptoSuite _crypto;

    // The engine's state lives in its own object as far as it can (structs held inline, never copied): at 10^5
    // simulated engines every other object an event reads is a cache miss. The runtime (CoreCLR's automatic layout, as
    // of .NET 10) places the reference fields first, then the primitive ones, then these structs in the order declared
    // here, so the hottest come first: the clock and the timers (every input), within the two cache lines the simulator
    // prefetches ahead of an event; then the outgoing and event queues (every poll), the session cache and the
    // counters (every datagram), the random generator (every datagram sent), the requests in flight (every answer), the
    // routing table and the address tokens (every request served). The order changes nothing but the layout.
    private Instant _now;
    private TimerHeap _timers = new();
    private RingQueue<OutgoingDatagram> _transmit = new();
    private RingQueue<EngineEvent> _events = new();
    private SessionCache _sessions;
    private EngineStats _stats;
    private Xoshiro256State _rng;
    private RequestTable _pending = new();
    private RoutingTable _routing;
    private AddressTokens _tokens;
    private RecordStorage _storage;

    /// <summary>
    /// Scratch for <see cref="RoutingTable.FindClosest"/> results, shared by every engine on this thread: each use
    /// clears it, fills it and reads it within one method that calls into no other engine and no other user of it, so
    /// sharing is safe while an engine is entered by one thread at a time. Per engine it would cost about 2.6 KB, and
    /// nearly every engine answers FIND_NODE.
    /// </summary>
    [ThreadStatic]
    private static List<Contact>? _closestScratch;

    /// <summary>
    /// The answers being built (their list, messages, and the contacts of NODES parts), shared by the engines of a thread like
    /// <see cref="_closestScratch"/>: they are sealed and queued inside the same <c>HandleRequest</c> call, so one set
    /// serves every request and answering allocates no message. Per engine the contacts alone would cost about 1.1 KB.
    /// </summary>
    [ThreadStatic]
    private static ResponseScratch? _responseScratch;

    /// <summary>
    /// The message each received datagram is decoded into, and the buffer its NODES contacts are decoded into, shared
    /// by the engines of a thread like <see cref="_closestScratch"/>: <c>HandleDatagram</c> decodes, handles and
    /// returns without entering another engine, and every handler copies what it keeps (candidates, NODES parts,
    /// records are objects of their own). Per engine they would cost about 1.9 KB.
    /// </summary>
    [ThreadStatic]
    private static Message? _decoded;

    [ThreadStatic]
    private static ContactSlice? _decodeContacts;

    /// <summary>
    /// The message of every PING this thread's engines send (verifications of unknown requesters, eviction checks),
    /// shared like <see cref="_decoded"/>: <see cref="SendRequest"/> writes the request id and token into it and encodes
    /// it before it returns, as the requests of one lookup share one message; a retry takes the message of the thread it
    /// runs on, never the one its pending request was sent with. A new message per PING was about a tenth of the bytes
    /// a steady-state simulation allocates.
    /// </summary>
    [ThreadStatic]
    private static Message? _ping;

    private static Message PingRequest => _ping ??= new Message { Type = MessageType.Ping };

    /// <summary>
    /// The FIND_NODE or FIND_VALUE message every lookup request of the thread is sent with, as <see cref="PingRequest"/>
    /// is for PINGs: <see cref="LookupRequestFor"/> sets its type and target, SendRequest its id and token, and it is
    /// sealed before SendRequest returns; a retry builds it again from the request's operation. A message per operation
    /// was about a sixteenth of the bytes a steady-state simulation allocated (one per bucket refresh).
    /// </summary>
    [ThreadStatic]
    private static Message? _lookupRequest;

    /// <summary>The thread's lookup request message (<see cref="_lookupRequest"/>), set for <paramref name="op"/>'s lookup.</summary>
    private static Message LookupRequestFor(Operation op)
    {
        var request = _lookupRequest ??= new Message();
        request.Type = op.FindValue ? MessageType.FindValue : MessageType.FindNode;
        request.Target = op.Lookup.Target;
        return request;
    }

    private readonly Dictionary<long, Operation> _operations = [];

    /// <summary>How many of <see cref="_operations"/> are maintenance operations (refresh, replication).</summary>
    private int _maintenanceOperations;

    /// <summary>
    /// While the engine has had no input since its last full maintenance tick, a tick before this instant (in ticks) would
    /// find nothing to do, and only schedules the next one; <see cref="long.MinValue"/> (no skipping, whatever the
    /// driver's clock reads) until the first full tick and after any input, any other timer and any access to the state
    /// from outside (see <see cref="Touched"/>). A full tick sets it to the earliest of the lower
    /// bounds its steps keep (record expiry, republish, replication, bucket refresh, idle sessions, the timer-trim
    /// window); the steps whose conditions are not times (re-bootstrap, trimming empty tables) depend only on state that
    /// changes through inputs and timers. It lives among the engine's first fields, which the simulator prefetches: a
    /// quiet tick then reads none of the cache lines those bounds sit on (at 10^5 simulated engines, two or three
    /// misses on every tick).
    /// </summary>
    private long _quietUntil = long.MinValue;

    /// <summary>
    /// Whether <see cref="_operations"/> took an operation since a tick last found it empty: only then may it have grown,
    /// so a tick reads the table only then (at 10^5 simulated engines, reading it on every tick was a cache miss per
    /// tick).
    /// </summary>
    private bool _operationsUsed;

    /// <summary>The most timers pending at once since <see cref="_timerWindowStart"/> (see <see cref="TimerTrimWindow"/>).</summary>
    private int _timersPeak;

    /// <summary>When the current <see cref="TimerTrimWindow"/> began (the engine's creation, then each trim decision).</summary>
    private Instant _timerWindowStart;
    private readonly List<(PeerAddress Address, NodeId? Id)> _bootstrapSeeds = [];

    // Created on first use: many engines never need them (the simulator runs up to a million engines in one process).
    private Dictionary<ulong, PendingProbe>? _probes;
    private DueSchedule _republish = new(); // a struct, inline: never copy it
    private DueSchedule _replicate = new(); // a struct, inline: never copy it
    private HashSet<NodeId>? _evictionChecks;
    private HashSet<NodeId>? _pendingVerifications;
    private RttEstimator _globalRtt;
    private long _nextOperationId = 1;
    private int _verificationsInFlight;
    private double _sessionBudget;
    private Instant _sessionBudgetAt;

    /// <param name="options">Validated here; may be shared by many engines.</param>
    /// <param name="crypto">The node's identity and all cryptography.</param>
    /// <param name="seed">Seeds every random choice of this engine.</param>
    /// <param name="now">The driver's current time.</param>
    /// <param name="store">Where records are kept; null keeps them in memory.</param>
    /// <param name="directory">
    /// Interns the ids and addresses of routing-table contacts and sessions; null gives the engine its own. Engines may
    /// share one only when they all run on one thread (the simulator does, so each node's id and address are stored
    /// once).
    /// </param>
    public DhtEngine(EngineOptions options, ICryptoSuite crypto, ulong seed, Instant now, IRecordStore? store = null, PeerDirectory? directory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(crypto);
        options.Validate();
        _options = options;
        _crypto = crypto;
        _rng = new Xoshiro256State(seed);
        _now = now;
        _timerWindowStart = now;
        _routing = new RoutingTable(crypto.LocalId, options.Routing, directory);
        _sessions = new SessionCache(crypto, options.MaxSessions, options.ReplayWindow, _routing.Directory) { Clock = now };
        _tokens = new AddressTokens(crypto, seed, options.TokenRotation, now);
        _storage = new RecordStorage(store ?? new InMemoryRecordStore(), options.StoreLimits);
        _sessionBudget = options.NewSessionsPerSecond;
        _sessionBudgetAt = now;

        // The first tick comes at a random point of the first interval, so engines started together (a fleet restarted
        // at once, or the simulator's warm start) do not tick in step: each tick starts the refreshes that fell due
        // since the last one, and in step they would all start together.
        ScheduleTimer(now + TimeSpan.FromTicks(1 + (long)_rng.NextUInt64((ulong)options.MaintenanceInterval.Ticks)), TimerKind.Maintenance, 0);
    }

    public NodeId LocalId => _routing.LocalId;

    public int RoutingTableSize => _routing.Count;

    public int StoredRecords => _storage.Count;

    public int PendingRequests => _pending.Count;

    public int ActiveOperations => _operations.Count;

    public int SessionCount => _sessions.Count;

    /// <summary>The engine's counters, by read-only reference (they live inline in the engine).</summary>
    public ref readonly EngineStats Stats => ref _stats;

    /// <summary>The routing table, by reference (it is a struct held inline: a copy would not see later changes).</summary>
    internal ref RoutingTable Routing
    {
        get
        {
            Touched();
            return ref _routing;
        }
    }

    /// <summary>The session cache (tests check what it holds in a shared directory).</summary>
    internal ref SessionCache Sessions
    {
        get
        {
            Touched();
            return ref _sessions;
        }
    }

    internal ref RecordStorage Storage
    {
        get
        {
            Touched();
            return ref _storage;
        }
    }

    internal EngineOptions Options => _options;

    // ---------------------------------------------------------------- outputs

    /// <summary>Copies the next datagram to send into <paramref name="buffer"/> (at least 1280 bytes).</summary>
    public bool TryPollTransmit(Span<byte> buffer, out PeerAddress to, out int length)
    {
        if (!_transmit.TryDequeue(out var datagram))
        {
            to = default;
            length = 0;
            return false;
        }

        Touched(); // the queue's count decides a trim

        datagram.Buffer.AsSpan(0, datagram.Length).CopyTo(buffer);
        ArrayPool<byte>.Shared.Return(datagram.Buffer);
        to = datagram.To;
        length = datagram.Length;
        return true;
    }

    public int TransmitQueueLength => _transmit.Count;

    public bool TryPollEvent(out EngineEvent? engineEvent)
    {
        if (!_events.TryDequeue(out engineEvent))
        {
            return false;
        }

        Touched(); // the queue's count decides a trim
        return true;
    }

    /// <summary>When the engine next needs <see cref="HandleTimeout"/>; null when nothing is scheduled.</summary>
    public Instant? PollTimeout() => _timers.TryPeek(out var ticks) ? new Instant(ticks) : null;

    // ---------------------------------------------------------------- inputs

    public void HandleTimeout(Instant now)
    {
        // A tick is not an input: the bound a full tick left stands (Advance clears it).
        var quietUntil = _quietUntil;
        Advance(now);
        _quietUntil = quietUntil;
        while (_timers.TryPopDue(now.Ticks, out var kind, out var id))
        {
            if (kind != TimerKind.Maintenance)
            {
                Touched();
            }

            switch (kind)
            {
                case TimerKind.RequestDeadline:
                    OnRequestDeadline(id);
                    break;
                case TimerKind.SoftDeadline:
                    OnSoftDeadline(id);
                    break;
                case TimerKind.ProbeDeadline:
                    OnProbeDeadline(id);
                    break;
                case TimerKind.OperationDeadline:
                    if (_operations.TryGetValue((long)id, out var op))
                    {
                        FinishOperation(op);
                    }

                    break;
                case TimerKind.Maintenance when _now.Ticks < _quietUntil:
                    // Nothing happened since the last full tick and nothing falls due before the bound it left.
                    ScheduleTimer(_now + _options.MaintenanceInterval, TimerKind.Maintenance, 0);
                    break;
                case TimerKind.Maintenance:
                    RunMaintenance();
                    ScheduleTimer(_now + _options.MaintenanceInterval, TimerKind.Maintenance, 0);
                    TrimAfterBurst();
                    _sessions.ExpireIdle(_now - _options.SessionIdleTimeout);
                    _quietUntil = QuietBound();
                    break;
            }
        }
    }

    /// <summary>
    /// Hints the engine object's lines past the first two (which the simulator hints one event ahead): a datagram reads
    /// fields all over the object (about 750 bytes), each line otherwise a miss of its own at 10^5 simulated engines.
    /// </summary>
    private unsafe void HintSelf()
    {
        var self = this;
        MemoryHint.Lines(*(byte**)System.Runtime.CompilerServices.Unsafe.AsPointer(ref self) + 128, ObjectBytes - 128);
    }

    /// <summary>About the size of an engine object (its fields, inline structs included), in whole cache lines.</summary>
    internal const int ObjectBytes = 768;

    /// <summary>
    /// Asks the processor to start loading what <see cref="HandleDatagram"/> reads first for this datagram, the sealed
    /// path's hints (<see cref="MemoryHint"/>), without handling it: a driver that knows the next datagram one input
    /// ahead calls this then, so those lines arrive while the current input runs. Reads only the datagram's header and
    /// this engine's own fields; changes no state; any content is safe.
    /// </summary>
    public void HintDatagram(PeerAddress from, ReadOnlySpan<byte> datagram)
    {
        if (MemoryHint.Enabled && datagram.Length >= WireConstants.SealedHeaderSize && datagram[1] == WireConstants.PacketSealed)
        {
            HintSealed(from, new NodeId(datagram.Slice(2, NodeId.Size)));
        }
    }

    /// <summary>A datagram arrived from <paramref name="from"/>. Never throws for any content.</summary>
    public void HandleDatagram(Instant now, PeerAddress from, ReadOnlySpan<byte> datagram)
    {
        HintSelf();
        Advance(now);
        _stats.DatagramsReceived++;
        _stats.BytesReceived += datagram.Length;
        var reason = ProcessDatagram(from, datagram);
        if (reason != DropReason.None)
        {
            _stats.CountDrop(reason);
        }
    }

    // ---------------------------------------------------------------- commands

    public long StartBootstrap(Instant now, IReadOnlyList<(PeerAddress Address, NodeId? Id)> seeds)
    {
        Advance(now);
        var op = NewOperation(OperationKind.Bootstrap, LocalId);
        if (op.Finished)
        {
            return op.Id; // over MaxConcurrentOperations: already failed, no probes for it
        }

        // Remembered for maintenance: a node whose table stays nearly empty bootstraps again through them.
        _bootstrapSeeds.Clear();
        _bootstrapSeeds.AddRange(seeds.Take(MaxRememberedSeeds));
        SeedBootstrap(op, seeds);
        return op.Id;
    }

    public long StartPut(Instant now, DhtRecord record, long? cas, bool publishLocally = true)
    {
        Advance(now);
        ArgumentNullException.ThrowIfNull(record);
        var ttl = (uint)_options.RecordTtl.TotalSeconds;
        var op = NewOperation(OperationKind.Put, record.Key, record, cas, ttl, reports: true, returnQuorum: _options.PutReturnQuorum);
        if (op.Finished)
        {
            return op.Id; // over MaxConcurrentOperations: already failed, so nothing is stored or scheduled for republish
        }

        op.LocalResult = publishLocally ? StoreLocal(record, cas, isLocal: true, ttl) : RecordRejection.None;
        AddRoutingCandidates(op);
        Pump(op);
        return op.Id;
    }

    public long StartGet(Instant now, NodeId key, int quorum)
    {
        Advance(now);
        var op = NewOperation(OperationKind.Get, key, quorum: Math.Max(1, quorum));
        if (op.Finished)
        {
            return op.Id; // over MaxConcurrentOperations: already failed
        }

        // Even our own store is checked: a record is validated before anything counts it.
        if (_storage.TryGet(key, _now, out var stored)
            && stored.Record.Key == key
            && RecordValidator.Validate(stored.Record, key, _options.MaxValueSize, _crypto) == RecordRejection.None)
        {
            op.Best = stored.Record;
            op.BestCount = 1;
            op.Responses = 1;
            op.BestFarthest = LocalId.Xor(key);
            if (!stored.Record.IsMutable || op.BestCount >= op.Quorum)
            {
                FinishOperation(op);
                return op.Id;
            }
        }

        AddRoutingCandidates(op);
        Pump(op);
        return op.Id;
    }

    private void SeedBootstrap(Operation op, IEnumerable<(PeerAddress Address, NodeId? Id)> seeds)
    {
        foreach (var (address, id) in seeds)
        {
            if (id is { } known)
            {
                op.Lookup.AddCandidate(known, address);
            }
            else
            {
                SendProbe(op, address);
            }
        }

        AddRoutingCandidates(op);
        Pump(op);
    }

    /// <summary>Finds the k nodes closest to <paramref name="target"/> (FIND_NODE lookup); completes with <see cref="LookupCompleted"/>.</summary>
    public long StartLookup(Instant now, NodeId target)
    {
        Advance(now);
        var op = NewOperation(OperationKind.Lookup, target);
        AddRoutingCandidates(op);
        Pump(op);
        return op.Id;
    }

    /// <summary>Abandons an operation; no event is emitted for it.</summary>
    public bool Cancel(long operationId)
    {
        if (!_operations.TryGetValue(operationId, out var op))
        {
            return false;
        }

        Touched();
        ForgetOperation(op);
        op.Finished = true;
        op.Lookup.Release();
        return true;
    }

    /// <summary>Removes a running operation from the table, keeping the count of maintenance operations in step.</summary>
    private void ForgetOperation(Operation op)
    {
        if (_operations.Remove(op.Id))
        {
            _maintenanceOperations -= op.IsMaintenance ? 1 : 0;
            _timers.Cancel(TimerKind.OperationDeadline, (ulong)op.Id);
        }
    }

    /// <summary>Drops the sessions and empties the routing table (releasing its entries in a shared directory).</summary>
    public void Dispose()
    {
        _sessions.Clear();
        _routing.Clear();
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>The thread's shared FIND_NODE result list (see <see cref="_closestScratch"/>); FindClosest clears it.</summary>
    private static List<Contact> ClosestScratch => _closestScratch ??= [];

    private Dictionary<ulong, PendingProbe> Probes => _probes ??= [];

    private HashSet<NodeId> EvictionChecks => _evictionChecks ??= NodeIdSetPool.Rent();

    private HashSet<NodeId> PendingVerifications => _pendingVerifications ??= NodeIdSetPool.Rent();

    private void Advance(Instant now)
    {
        Touched();
        if (now > _now)
        {
            _now = now;
            _sessions.Clock = now;
        }
    }

    /// <summary>Something may have changed what a maintenance tick would do: the next tick runs in full.</summary>
    private void Touched() => _quietUntil = long.MinValue;

    /// <summary>Test hook: the next maintenance tick runs in full (tests compare runs with and without skipping).</summary>
    internal void RunNextTickInFull() => Touched();

    /// <summary>
    /// The earliest instant at which a maintenance tick can find something to do, read right after a full tick: the
    /// lower bounds its time-driven steps keep (see <see cref="_quietUntil"/>).
    /// </summary>
    private long QuietBound()
    {
        var bound = Math.Min(_storage.NoExpiryBeforeTicks, _routing.NoRefreshBefore.Ticks);
        bound = Math.Min(bound, _republish.NoneDueBefore.Ticks);
        bound = Math.Min(bound, _replicate.NoneDueBefore.Ticks);
        bound = Math.Min(bound, _sessions.IdleWorkDueAt(_options.SessionIdleTimeout).Ticks);
        return Math.Min(bound, (_timerWindowStart + TimerTrimWindow).Ticks);
    }

    private void ScheduleTimer(Instant at, TimerKind kind, ulong id)
    {
        _timers.Add(at.Ticks, kind, id);
        _timersPeak = Math.Max(_timersPeak, _timers.Count);
    }

    /// <summary>
    /// Gives back the memory a burst grew. An operation schedules two timers per request, so a GET grows the timer heap
    /// to dozens of entries that then sit empty for good (the simulator keeps a hundred thousand engines, and the heaps
    /// were 2 KB each); the pending-request and operation tables and the outgoing-datagram and event queues grow the same
    /// way (together about 1 KB per engine in a steady-state run). On a maintenance
    /// tick, a timer heap filled to a quarter of its capacity or less all through the last <see cref="TimerTrimWindow"/>
    /// is trimmed to its size (the decision is taken once per window), and the tables and queues
    /// are given back when they are empty and have grown to <see cref="MinSlotsToTrim"/> slots or more (the next
    /// burst grows them again, the pending-request table from the shared array pool it gave its slots back to); the
    /// collections created on first use (verification and eviction-check sets, identity probes, republish and
    /// replication schedules) are dropped when empty, the two sets into this thread's <see cref="NodeIdSetPool"/> for the
    /// next engine that needs one. Nothing here changes an order: timers are
    /// ordered by (time, sequence); the two tables are only looked up by key (the one walk over the operations asks
    /// whether any is a bootstrap); the queues are empty.
    /// </summary>
    private void TrimAfterBurst()
    {
        if (_now - _timerWindowStart >= TimerTrimWindow)
        {
            if (_timers.Capacity >= MinTimersToTrim && _timersPeak * 4 <= _timers.Capacity)
            {
                _timers.TrimExcess();
            }

            _timerWindowStart = _now;
            _timersPeak = _timers.Count;
        }

        if (_pending.Count == 0 && _pending.Capacity >= MinSlotsToTrim)
        {
            _pending.TrimExcess();
        }

        if (_operationsUsed && _operations.Count == 0)
        {
            if (_operations.EnsureCapacity(0) >= MinSlotsToTrim)
            {
                _operations.TrimExcess();
            }

            _operationsUsed = false;
        }

        if (_transmit.Count == 0 && _transmit.Capacity >= MinSlotsToTrim)
        {
            _transmit.TrimExcess();
        }

        if (_events.Count == 0 && _events.Capacity >= MinSlotsToTrim)
        {
            _events.TrimExcess();
        }

        // The collections created on first use go again once empty (the next use creates them anew; the two sets go back
        // to this thread's NodeIdSetPool, which the next engine to need one takes them from). None is walked in
        // hash order: the sets and the probe table are only looked up, the schedules are read in key order (DueSchedule.DueKeys).
        if (_evictionChecks is { Count: 0 } evictionChecks)
        {
            NodeIdSetPool.Return(evictionChecks);
            _evictionChecks = null;
        }

        if (_pendingVerifications is { Count: 0 } verifications)
        {
            NodeIdSetPool.Return(verifications);
            _pendingVerifications = null;
        }

        if (_probes is { Count: 0 })
        {
            _probes = null;
        }

        _republish.TrimIfEmpty();
        _replicate.TrimIfEmpty();
    }

    /// <summary>Timer heap slots allocated (tests check that bursts give their memory back).</summary>
    internal int TimerCapacity => _timers.Capacity;

    /// <summary>
    /// Timers pending, and how many of them can be live: the maintenance tick, one deadline per running operation and
    /// per pending probe, two per pending request (for tests: an answered request leaves no timer behind).
    /// </summary>
    internal (int Pending, int LiveBound) Timers =>
        (_timers.Count, 1 + _operations.Count + (_probes?.Count ?? 0) + (2 * _pending.Count));

    /// <summary>True while the verification or eviction-check set exists (they are created on first use; for tests).</summary>
    internal bool HoldsVerificationSets => _pendingVerifications is not null || _evictionChecks is not null;

    /// <summary>Slots allocated in the pending-request and operation tables and the outgoing and event queues (for tests).</summary>
    internal (int Pending, int Operations, int Transmit, int Events) BufferCapacities =>
        (_pending.Capacity, _operations.EnsureCapacity(0), _transmit.Capacity, _events.Capacity);

    private void Enqueue(PeerAddress to, byte[] buffer, int length)
    {
        if (_transmit.Count >= _options.MaxTransmitQueue)
        {
            _stats.TransmitQueueDrops++;
            ArrayPool<byte>.Shared.Return(buffer);
            return;
        }

        _stats.DatagramsSent++;
        _stats.BytesSent += length;
        _transmit.Enqueue(new OutgoingDatagram(to, buffer, length));
    }

    private void Emit(EngineEvent engineEvent) => _events.Enqueue(engineEvent);

    private readonly record struct OutgoingDatagram(PeerAddress To, byte[] Buffer, int Length);

    private readonly record struct PendingProbe(PeerAddress Address, long OperationId);
}
