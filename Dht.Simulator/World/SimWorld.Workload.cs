using Dht.Lookup;
using Dht.Protocol;
using Dht.Records;
using Dht.Simulator.Crypto;
using Dht.Simulator.Metrics;

namespace Dht.Simulator.World;

internal sealed partial class SimWorld
{
    private readonly Dictionary<(int Node, long Op), PendingOp> _pendingOps = [];

    /// <summary>
    /// What <see cref="OnLookupDetails"/> found for a lookup that finished, until <see cref="ScoreLookup"/> takes it: the
    /// true k closest live nodes and the round in which the closest of them was learned. Keyed by the operation's id
    /// and target, as the engine calls the sink without naming itself; an entry lives only from the engine's report to
    /// the drain of its events, which follows at once.
    /// </summary>
    private readonly Dictionary<(long Op, NodeId Target), (List<NodeId> Truth, int? Rounds)> _lookupDetails = [];
    private readonly List<PutEntry> _puts = [];
    private SignedKey[]? _signedKeys;
    private int _operationsStarted;
    private int _intervalOps;
    private int _intervalOk;

    /// <summary>Acknowledged immutable puts (the durability checker's subjects).</summary>
    internal IReadOnlyList<PutEntry> Puts => _puts;

    internal IReadOnlyList<SignedKey> SignedKeys => _signedKeys ?? [];

    private double Rate(WorkloadKind kind) => kind switch
    {
        WorkloadKind.Put => _scenario.Workload.PutsPerSecond,
        WorkloadKind.Get => _scenario.Workload.GetsPerSecond,
        WorkloadKind.SignedPut => _scenario.Workload.SignedPutsPerSecond,
        _ => _scenario.Workload.LookupsPerSecond,
    };

    private void ScheduleWorkload()
    {
        _signedKeys = new SignedKey[_scenario.Workload.SignedPutsPerSecond > 0 ? Math.Max(1, _scenario.Workload.SignedKeys) : 0];
        for (var i = 0; i < _signedKeys.Length; i++)
        {
            _signedKeys[i] = NewSignedKey(i);
        }

        foreach (var kind in Enum.GetValues<WorkloadKind>())
        {
            ScheduleNextArrival(kind, Ticks(_scenario.Workload.StartSeconds));
        }
    }

    private SignedKey NewSignedKey(int i)
    {
        var salt = System.Text.Encoding.ASCII.GetBytes($"key-{i}");
        if (RealCrypto)
        {
            var seed = new byte[32];
            _rng.NextBytes(seed);
            var identity = DhtIdentity.FromSeed(seed);
            return new SignedKey(identity.PublicKey.ToArray(), salt, identity);
        }

        var pk = new byte[32];
        _rng.NextBytes(pk);
        return new SignedKey(pk, salt, null);
    }

    private void ScheduleNextArrival(WorkloadKind kind, long after)
    {
        var rate = Rate(kind);
        if (rate <= 0)
        {
            return;
        }

        var gap = -DeterministicMath.Log(1 - _rng.NextDouble()) / rate;
        var at = after + Math.Max(1, Ticks(gap));
        var isWrite = kind is WorkloadKind.Put or WorkloadKind.SignedPut;
        if (isWrite && _scenario.Workload.StopWritesSeconds is { } stop && at >= Ticks(stop))
        {
            return;
        }

        Schedule(at, new SimEvent(SimEventKind.Workload, -1, Extra: (int)kind));
    }

    private void RunWorkload(WorkloadKind kind)
    {
        ScheduleNextArrival(kind, _now);
        if (_operationsStarted >= _scenario.Workload.MaxOperations || RandomUpNode() is not { } node)
        {
            return;
        }

        var engine = node.Engine!;
        var local = node.LocalTime(_now);
        PendingOp? op = null;
        long id = 0;
        switch (kind)
        {
            case WorkloadKind.Put:
                var value = new byte[Math.Max(1, _scenario.Workload.ValueBytes)];
                _rng.NextBytes(value);
                var record = DhtRecord.CreateImmutable(value);
                op = new PendingOp(kind, _now) { Key = record.Key, Value = value };
                id = engine.StartPut(local, record, null);
                break;
            case WorkloadKind.SignedPut:
                var index = _rng.NextInt32(_signedKeys!.Length);
                var key = _signedKeys[index];
                var seq = ++key.NextSeq;
                var signed = Sign(key, System.Text.Encoding.ASCII.GetBytes($"seq {seq} of key {index}"), seq);
                op = new PendingOp(kind, _now) { Key = signed.Key, SignedIndex = index, Sequence = seq };
                id = engine.StartPut(local, signed, null);
                break;
            case WorkloadKind.Get:
                op = PickGetTarget();
                if (op is null)
                {
                    return;
                }

                id = engine.StartGet(local, op.Key, op.SignedIndex >= 0 ? 2 : 1);
                break;
            case WorkloadKind.Lookup:
                var target = _rng.NextNodeId();
                op = new PendingOp(kind, _now) { Key = target };
                id = engine.StartLookup(local, target);
                break;
        }

        _operationsStarted++;
        _pendingOps[(node.Index, id)] = op!;
        Drain(node);
    }

    private DhtRecord Sign(SignedKey key, byte[] value, long seq)
    {
        if (key.Identity is { } identity)
        {
            return DhtRecord.CreateSigned(identity, value, seq, key.Salt);
        }

        var payload = Bep44.SigningPayload(key.Salt, seq, value);
        var signature = new byte[64];
        ModeledCryptoSuite.Sign(key.PublicKey, payload, signature);
        return DhtRecord.FromParts(true, value, key.PublicKey, key.Salt, seq, signature);
    }

    private PendingOp? PickGetTarget()
    {
        var liveSigned = _signedKeys!.Count(k => k.LatestAcked > 0);
        var margin = Ticks(30);
        var useSigned = liveSigned > 0 && (_puts.Count == 0 || _rng.NextDouble() < 0.3);
        if (useSigned)
        {
            var candidates = _signedKeys!.Where(k => k.LatestAcked > 0).ToArray();
            var key = candidates[_rng.NextInt32(candidates.Length)];
            return new PendingOp(WorkloadKind.Get, _now) { Key = key.Key, SignedIndex = Array.IndexOf(_signedKeys!, key), Sequence = key.LatestAcked };
        }

        for (var attempt = 0; attempt < 8 && _puts.Count > 0; attempt++)
        {
            var put = _puts[_rng.NextInt32(_puts.Count)];
            if (put.ExpiresTicks > _now + margin)
            {
                return new PendingOp(WorkloadKind.Get, _now) { Key = put.Key, Value = put.Value };
            }
        }

        return null;
    }

    private void OnEngineEvent(SimNode node, EngineEvent engineEvent)
    {
        if (engineEvent is BootstrapCompleted bootstrap)
        {
            OnBootstrapCompleted(node, bootstrap);
            return;
        }

        if (!_pendingOps.Remove((node.Index, engineEvent.OperationId), out var op))
        {
            return; // bootstrap and maintenance
        }

        var latencyMs = (_now - op.StartTicks) / (double)TimeSpan.TicksPerMillisecond;
        var stats = engineEvent.Stats;
        var success = false;
        int? roundsToClosest = null;
        double? recall = null;
        switch (engineEvent)
        {
            case PutCompleted put:
                success = put.Result.Acknowledged > 0;
                if (success && op.Kind == WorkloadKind.Put)
                {
                    _puts.Add(new PutEntry(op.Key, op.Value!, _now, _now + Ticks(_scenario.RecordTtlSeconds), put.Result.Acknowledged));
                }
                else if (success)
                {
                    var key = _signedKeys![op.SignedIndex];
                    key.LatestAcked = Math.Max(key.LatestAcked, op.Sequence);
                    key.Key = op.Key;
                    key.LastAckTicks = _now;
                }

                break;
            case GetCompleted get:
                success = get.Record is { } r && (op.SignedIndex >= 0
                    ? r.IsMutable && r.Sequence >= op.Sequence
                    : !r.IsMutable && r.Value.Span.SequenceEqual(op.Value));
                break;
            case LookupCompleted lookup:
                (success, roundsToClosest, recall) = ScoreLookup(lookup.OperationId, op.Key, lookup.Closest);
                break;
            case OperationFailed:
                success = false;
                break;
        }

        var kind = op.Kind switch
        {
            WorkloadKind.Put => "put",
            WorkloadKind.SignedPut => "signedPut",
            WorkloadKind.Get => op.SignedIndex >= 0 ? "signedGet" : "get",
            _ => "lookup",
        };
        Operations.Add(new OperationRecord(op.StartTicks / (double)TimeSpan.TicksPerSecond, kind, success, latencyMs, stats.Hops, stats.Messages, roundsToClosest, recall));
        _intervalOps++;
        if (success)
        {
            _intervalOk++;
        }

        if (node.Restarts > 0 && op.Kind == WorkloadKind.Get)
        {
            node.GetsSinceRestart++;
            node.GetsSinceRestartSucceeded += success ? 1 : 0;
        }
    }

    /// <summary>
    /// The engine's report of a lookup's candidates (<see cref="EngineOptions.LookupDetails"/>), as the lookup finishes
    /// and before its completion event is drained: finds the true k closest live nodes and the round in which the
    /// closest of them was learned, for <see cref="ScoreLookup"/>. Reads the candidates in place (the engine gives the
    /// array back afterwards), where the event used to carry a copy of them all; no simulated state changes between
    /// this call and the drain, so the truth is the one the drain would see.
    /// </summary>
    private void OnLookupDetails(long operationId, NodeId target, ReadOnlySpan<LookupCandidate> candidates)
    {
        var truth = TrueClosest(target, Math.Min(_scenario.K, _up.Count));
        int? rounds = null;
        if (truth.Count > 0)
        {
            foreach (ref readonly var c in candidates)
            {
                if (c.Id == truth[0])
                {
                    rounds = c.DiscoveredRound;
                    break;
                }
            }
        }

        _lookupDetails[(operationId, target)] = (truth, rounds);
    }

    /// <summary>Recall of the true k closest live nodes, and the round in which the true closest was first learned.</summary>
    private (bool Success, int? RoundsToClosest, double Recall) ScoreLookup(long operationId, NodeId target, IReadOnlyList<NodeId> found)
    {
        var k = Math.Min(_scenario.K, _up.Count);
        var (truth, rounds) = _lookupDetails.Remove((operationId, target), out var details)
            ? details
            : (TrueClosest(target, k), null);
        // Both lists hold at most k ids: a scan, where a set of the found ids was an allocation per lookup.
        var hits = 0;
        foreach (var id in truth)
        {
            hits += found.Contains(id) ? 1 : 0;
        }

        return (truth.Count > 0 && found.Contains(truth[0]), rounds, k == 0 ? 0 : hits / (double)k);
    }

    /// <summary>
    /// The k live nodes closest to <paramref name="target"/>, closest first (global knowledge). Ids sharing a longer
    /// prefix with the target are always closer than ids sharing a shorter one, so it widens the prefix range of the
    /// sorted id list one bit at a time until that range holds k live nodes, and sorts only that range: about 2k ids
    /// instead of a scan over every node.
    /// </summary>
    internal List<NodeId> TrueClosest(NodeId target, int k)
    {
        var (sorted, order) = SortedIds();
        var insert = LowerBound(sorted, target);
        var longest = 0;
        if (insert < sorted.Length)
        {
            longest = target.CommonPrefixLength(sorted[insert]);
        }

        if (insert > 0)
        {
            longest = Math.Max(longest, target.CommonPrefixLength(sorted[insert - 1]));
        }

        var result = new List<NodeId>(k);
        for (var bits = Math.Min(longest, 255); bits >= 0; bits--)
        {
            var (lo, hi) = bits == 0 ? (0, sorted.Length) : PrefixRange(sorted, target, bits);
            var live = 0;
            for (var i = lo; i < hi && live < k; i++)
            {
                live += _nodes[order[i]].State == NodeState.Up ? 1 : 0;
            }

            if (live < k && bits > 0)
            {
                continue;
            }

            var inRange = new List<NodeId>(hi - lo);
            for (var i = lo; i < hi; i++)
            {
                if (_nodes[order[i]].State == NodeState.Up)
                {
                    inRange.Add(sorted[i]);
                }
            }

            inRange.Sort((x, y) => NodeId.CompareDistance(x, y, target));
            result.AddRange(inRange.Take(k));
            break;
        }

        return result;
    }

    /// <summary>Every node id in ascending order with the node index of each (ids never change during a run).</summary>
    private (NodeId[] Ids, int[] Order) SortedIds()
    {
        if (_sortedIds is null)
        {
            var order = Enumerable.Range(0, _nodes.Count).ToArray();
            var ids = order.Select(i => _nodes[i].Id).ToArray();
            Array.Sort(ids, order);
            _sortedIds = ids;
            _sortedOrder = order;
        }

        return (_sortedIds, _sortedOrder!);
    }

    private void FailPendingOperations(SimNode node)
    {
        // Operations of a node that crashed are abandoned, not counted: the client went away, not the DHT.
        var keys = _pendingOps.Keys.Where(k => k.Node == node.Index).ToList();
        keys.Sort();
        foreach (var key in keys)
        {
            _pendingOps.Remove(key);
        }
    }

    internal sealed class PendingOp(WorkloadKind kind, long startTicks)
    {
        public WorkloadKind Kind { get; } = kind;

        public long StartTicks { get; } = startTicks;

        public NodeId Key { get; init; }

        public byte[]? Value { get; init; }

        public int SignedIndex { get; init; } = -1;

        public long Sequence { get; init; }
    }

    internal sealed record PutEntry(NodeId Key, byte[] Value, long AckedTicks, long ExpiresTicks, int Acknowledged);

    internal sealed class SignedKey(byte[] publicKey, byte[] salt, DhtIdentity? identity)
    {
        public byte[] PublicKey { get; } = publicKey;

        public byte[] Salt { get; } = salt;

        public DhtIdentity? Identity { get; } = identity;

        public NodeId Key { get; set; } = DhtRecord.MutableKey(publicKey, salt);

        public long NextSeq { get; set; }

        public long LatestAcked { get; set; }

        public long LastAckTicks { get; set; }
    }
}
