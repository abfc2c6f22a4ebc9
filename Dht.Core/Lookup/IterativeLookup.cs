using System.Buffers;
using Dht.Protocol;
using Dht.Wire;

namespace Dht.Lookup;

/// <summary>
/// The iterative Kademlia lookup as a pure state machine (after rust-libp2p's ClosestPeersIter): candidates sorted by
/// XOR distance to the target, at most <c>alpha</c> requests in flight, finished when the <c>k</c> closest candidates
/// that did not fail have all answered. It never sends anything itself: the engine asks <see cref="TryGetNext"/> for
/// the next node to query and reports answers with <see cref="OnSuccess"/> and <see cref="OnFailure"/>.
/// </summary>
internal sealed class IterativeLookup
{
    /// <summary>From <see cref="ArrayPool{T}.Shared"/> (rented on the first candidate, given back by <see cref="Release"/>).</summary>
    private LookupCandidate[] _candidates = [];
    private int _count;
    private readonly int _initialCapacity;
    private readonly NodeId _self;
    private readonly int _k;
    private readonly int _alpha;
    private readonly int _maxCandidates;

    public IterativeLookup(NodeId target, NodeId self, int k, int alpha, int maxCandidates)
    {
        Target = target;
        _self = self;
        _k = k;
        _alpha = alpha;
        _maxCandidates = Math.Max(maxCandidates, k);
        _initialCapacity = Math.Min(_maxCandidates, 4 * k);
    }

    public NodeId Target { get; }

    public int InFlight { get; private set; }

    public int RequestsSent { get; private set; }

    public int Succeeded { get; private set; }

    /// <summary>The candidates, closest first (a view of the lookup's own array: read it before the lookup changes).</summary>
    public ReadOnlySpan<LookupCandidate> Candidates => _candidates.AsSpan(0, _count);

    /// <summary>The XOR distance of <paramref name="candidate"/> to the target (the sort key; not stored per candidate).</summary>
    public NodeId DistanceOf(in LookupCandidate candidate) => candidate.Id.Xor(Target);

    /// <summary>Adds candidates learned from a response or the routing table; ignores self, zero ids and duplicates.</summary>
    public void AddCandidate(NodeId id, PeerAddress address, int discoveredRound = 0, TimeSpan rtt = default)
    {
        if (id.IsZero || id == _self || address.IsUnspecified)
        {
            return;
        }

        var distance = id.Xor(Target);
        var index = BinarySearch(distance);
        if (index >= 0)
        {
            return;
        }

        index = ~index;
        if (_count >= _maxCandidates)
        {
            // Full: only a closer candidate gets in, replacing the farthest one not yet contacted.
            var victim = FindFarthestNotContacted();
            if (victim < 0 || victim < index)
            {
                return;
            }

            Array.Copy(_candidates, victim + 1, _candidates, victim, _count - victim - 1);
            _count--;
        }
        else if (_count == _candidates.Length)
        {
            // Grow by doubling, but never past the cap (the pool may hand out more; the count is what is capped).
            var grown = ArrayPool<LookupCandidate>.Shared.Rent(_count == 0 ? _initialCapacity : Math.Min(2 * _count, _maxCandidates));
            Array.Copy(_candidates, grown, _count);
            ReturnArray();
            _candidates = grown;
        }

        Array.Copy(_candidates, index, _candidates, index + 1, _count - index);
        _candidates[index] = new LookupCandidate(id, address) { DiscoveredRound = discoveredRound, Rtt = rtt };
        _count++;
    }

    /// <summary>
    /// Hints the candidates an answer's searches read first (<see cref="MemoryHint"/>): the array's header and the
    /// middle and quarter positions, where every binary search starts. Reads this object's fields only.
    /// </summary>
    public void HintSearch()
    {
        if (_count > 0)
        {
            MemoryHint.ElementAndHeader(_candidates, _count >> 1);
            MemoryHint.Element(_candidates, _count >> 2);
            MemoryHint.Element(_candidates, (3 * _count) >> 2);
        }
    }

    /// <summary>Adds the contacts a responder named; they count as learned in the responder's query round.</summary>
    public void AddCandidates(IReadOnlyList<WireContact> contacts, in LookupCandidate responder)
    {
        var round = responder.QueryRound;
        foreach (ref readonly var c in ContactSlice.SpanOf(contacts))
        {
            AddCandidate(c.Id, c.Address, round);
        }
    }

    /// <summary>The highest query round among nodes that answered (the lookup's depth in rounds).</summary>
    public int Rounds
    {
        get
        {
            var rounds = 0;
            foreach (ref readonly var c in Candidates)
            {
                if (c.State == CandidateState.Succeeded)
                {
                    rounds = Math.Max(rounds, c.QueryRound);
                }
            }

            return rounds;
        }
    }

    /// <summary>
    /// Candidates at most this far from the target (the estimated distance of the k-th closest node) count as likely
    /// replicas: while the closest candidate not yet asked is one of them, up to <see cref="NearExtraParallelism"/> more
    /// requests than alpha may be in flight. Null (the default) disables it.
    /// </summary>
    public NodeId? NearRadius { get; set; }

    /// <summary>Extra requests allowed in flight to likely replicas (see <see cref="NearRadius"/>).</summary>
    public int NearExtraParallelism { get; set; }

    /// <summary>
    /// The round-trip time assumed for candidates whose own is unknown when choosing among equally useful candidates
    /// (the engine passes its network-wide estimate); zero means unknown candidates are never passed over.
    /// </summary>
    public TimeSpan TypicalRtt { get; set; }

    /// <summary>
    /// The next candidate to query, or null when alpha requests are in flight or nothing useful is left. Among the
    /// candidates not yet asked that are as useful as the closest one (the same common-prefix length with the target,
    /// or all likely replicas inside <see cref="NearRadius"/>), the one with the lowest known round-trip time goes first:
    /// a node's answer improves on its own distance by about the same number of bits whatever its exact distance within
    /// that class, so the faster node gives the same progress sooner. The candidate returned is a copy, already in
    /// flight.
    /// </summary>
    public LookupCandidate? TryGetNext()
    {
        if (InFlight >= _alpha + NearExtraParallelism)
        {
            return null;
        }

        var answered = 0;
        for (var index = 0; index < _count; index++)
        {
            ref readonly var c = ref _candidates[index];
            switch (c.State)
            {
                case CandidateState.Succeeded:
                    if (++answered >= _k)
                    {
                        return null;
                    }

                    break;
                case CandidateState.InFlight:
                    // In-flight nodes may still answer: count them toward the k we wait for.
                    if (++answered >= _k)
                    {
                        return null;
                    }

                    break;
                case CandidateState.NotContacted:
                    if (InFlight >= _alpha && !(NearRadius is { } radius && DistanceOf(c) <= radius))
                    {
                        // Past alpha only likely replicas are asked: one of them answering ends a GET.
                        return null;
                    }

                    ref var chosen = ref _candidates[FastestEquivalent(index)];
                    chosen.State = CandidateState.InFlight;
                    InFlight++;
                    RequestsSent++;
                    return chosen;
                default:
                    break;
            }
        }

        return null;
    }

    /// <summary>
    /// Gives the candidate array back to the pool once the lookup's operation is over; the lookup is then empty. The
    /// candidates hold no references, so the pool keeps nothing alive.
    /// </summary>
    public void Release()
    {
        ReturnArray();
        _candidates = [];
        _count = 0;
    }

    private void ReturnArray()
    {
        if (_candidates.Length > 0)
        {
            ArrayPool<LookupCandidate>.Shared.Return(_candidates);
        }
    }

    /// <summary>A copy of the candidate with <paramref name="id"/>, or null.</summary>
    public LookupCandidate? Find(NodeId id)
    {
        var index = BinarySearch(id.Xor(Target));
        return index >= 0 ? _candidates[index] : null;
    }

    /// <summary>The candidate (found again by its id) answered.</summary>
    public void OnSuccess(in LookupCandidate answered)
    {
        var index = BinarySearch(DistanceOf(answered));
        if (index < 0)
        {
            return;
        }

        ref var candidate = ref _candidates[index];
        if (candidate.State == CandidateState.InFlight)
        {
            InFlight--;
        }

        if (candidate.State != CandidateState.Succeeded)
        {
            Succeeded++;
        }

        candidate.State = CandidateState.Succeeded;
    }

    /// <summary>The request to the candidate (found again by its id) failed.</summary>
    public void OnFailure(in LookupCandidate failed)
    {
        var index = BinarySearch(DistanceOf(failed));
        if (index < 0)
        {
            return;
        }

        ref var candidate = ref _candidates[index];
        if (candidate.State == CandidateState.InFlight)
        {
            InFlight--;
            candidate.State = CandidateState.Failed;
        }
        else if (candidate.State == CandidateState.Slow)
        {
            candidate.State = CandidateState.Failed;
        }
    }

    /// <summary>The request to <paramref name="slow"/> (found again by its id) passed its soft timeout: stop waiting for it (libp2p's "unresponsive").</summary>
    public void OnSlow(in LookupCandidate slow)
    {
        var index = BinarySearch(DistanceOf(slow));
        if (index < 0)
        {
            return;
        }

        ref var candidate = ref _candidates[index];
        if (candidate.State == CandidateState.InFlight)
        {
            InFlight--;
            candidate.State = CandidateState.Slow;
        }
    }

    /// <summary>True when the k closest candidates that did not fail have all answered, or nothing is left to ask.</summary>
    public bool IsFinished
    {
        get
        {
            var answered = 0;
            foreach (ref readonly var c in Candidates)
            {
                switch (c.State)
                {
                    case CandidateState.Succeeded:
                        if (++answered >= _k)
                        {
                            return true;
                        }

                        break;
                    case CandidateState.InFlight:
                    case CandidateState.NotContacted:
                        return false;
                    default:
                        break;
                }
            }

            return InFlight == 0;
        }
    }

    /// <summary>True when a candidate closer to the target than <paramref name="distance"/> was not asked yet or has not answered.</summary>
    public bool HasUnansweredCloserThan(NodeId distance)
    {
        foreach (ref readonly var c in Candidates)
        {
            if (DistanceOf(c) >= distance)
            {
                return false;
            }

            if (c.State is CandidateState.NotContacted or CandidateState.InFlight)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The ids of up to <paramref name="count"/> candidates that answered, closest first.</summary>
    public List<NodeId> ClosestSucceededIds(int count)
    {
        var result = new List<NodeId>(Math.Min(count, _count));
        foreach (ref readonly var c in Candidates)
        {
            if (c.State == CandidateState.Succeeded)
            {
                result.Add(c.Id);
                if (result.Count >= count)
                {
                    break;
                }
            }
        }

        return result;
    }

    /// <summary>Up to <paramref name="count"/> candidates that answered, closest first (copies).</summary>
    public List<LookupCandidate> ClosestSucceeded(int count)
    {
        var result = new List<LookupCandidate>(Math.Min(count, _count));
        foreach (ref readonly var c in Candidates)
        {
            if (c.State == CandidateState.Succeeded)
            {
                result.Add(c);
                if (result.Count >= count)
                {
                    break;
                }
            }
        }

        return result;
    }

    /// <summary>The index of the fastest candidate not yet asked that is as useful as the one at <paramref name="closestIndex"/>.</summary>
    private int FastestEquivalent(int closestIndex)
    {
        ref readonly var closest = ref _candidates[closestIndex];
        var near = NearRadius is { } radius && DistanceOf(closest) <= radius;
        var prefix = closest.Id.CommonPrefixLength(Target);
        var best = closestIndex;
        var bestRtt = EffectiveRtt(closest);
        for (var i = closestIndex + 1; i < _count; i++)
        {
            ref readonly var c = ref _candidates[i];
            var same = near ? DistanceOf(c) <= NearRadius!.Value : c.Id.CommonPrefixLength(Target) == prefix;
            if (!same)
            {
                break;
            }

            if (c.State == CandidateState.NotContacted && EffectiveRtt(c) < bestRtt)
            {
                best = i;
                bestRtt = EffectiveRtt(c);
            }
        }

        return best;
    }

    private TimeSpan EffectiveRtt(in LookupCandidate c) => c.Rtt > TimeSpan.Zero ? c.Rtt : TypicalRtt;

    private int BinarySearch(NodeId distance)
    {
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = DistanceOf(_candidates[mid]).CompareTo(distance);
            if (c == 0)
            {
                return mid;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    private int FindFarthestNotContacted()
    {
        for (var i = _count - 1; i >= 0; i--)
        {
            if (_candidates[i].State == CandidateState.NotContacted)
            {
                return i;
            }
        }

        return -1;
    }
}
