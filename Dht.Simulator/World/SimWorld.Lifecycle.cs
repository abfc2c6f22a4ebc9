using System.Globalization;
using System.Runtime.InteropServices;
using Dht.Protocol;
using Dht.Routing;

namespace Dht.Simulator.World;

internal sealed partial class SimWorld
{
    private const int MaxBootstrapAttempts = 5;

    /// <summary>Warm start was used (routing tables pre-filled from global knowledge).</summary>
    public bool WarmStarted { get; private set; }

    private void ScheduleStart()
    {
        if (_scenario.WarmStart)
        {
            WarmStart();
        }
        else
        {
            // Node 0 starts alone; the others join spread over JoinSeconds and bootstrap for real through a live node.
            Schedule(0, new SimEvent(SimEventKind.Join, 0));
            for (var i = 1; i < _nodes.Count; i++)
            {
                var at = Ticks(_scenario.JoinSeconds * i / _nodes.Count);
                Schedule(Math.Max(1, at), new SimEvent(SimEventKind.Join, i));
            }
        }

        if (_scenario.DeadContactFraction > 0)
        {
            Schedule(Ticks(_scenario.Workload.StartSeconds), new SimEvent(SimEventKind.KillDead, -1));
        }

        ScheduleWorkload();
        Schedule(Ticks(_scenario.TimelineIntervalSeconds), new SimEvent(SimEventKind.Interval, -1));
    }

    private DhtEngine NewEngine(SimNode node)
    {
        var seed = _scenario.Seed ^ ((ulong)node.Index * 0x9E3779B97F4A7C15UL) ^ ((ulong)node.Restarts << 48);
        return new DhtEngine(_engineOptions, node.Crypto, seed, node.LocalTime(_now), directory: _directory);
    }

    private void MarkUp(SimNode node)
    {
        node.State = NodeState.Up;
        node.UpSlot = _up.Count;
        _up.Add(node.Index);
    }

    private void MarkNotUp(SimNode node, NodeState state)
    {
        if (node.UpSlot >= 0)
        {
            var last = _up[^1];
            _up[node.UpSlot] = last;
            _nodes[last].UpSlot = node.UpSlot;
            _up.RemoveAt(_up.Count - 1);
            node.UpSlot = -1;
        }

        node.State = state;
    }

    private SimNode? RandomUpNode(int exclude = -1)
    {
        if (_up.Count == 0 || (_up.Count == 1 && _up[0] == exclude))
        {
            return null;
        }

        while (true)
        {
            var candidate = _nodes[_up[_rng.NextInt32(_up.Count)]];
            if (candidate.Index != exclude)
            {
                return candidate;
            }
        }
    }

    private void Join(SimNode node)
    {
        var seedNode = RandomUpNode(node.Index);
        node.Engine = NewEngine(node);
        node.ScheduledWake = long.MaxValue;
        node.BootstrapAttempts = 0;
        MarkUp(node);
        if (seedNode is not null)
        {
            node.BootstrapAttempts = 1;
            node.Engine.StartBootstrap(node.LocalTime(_now), [(seedNode.Address, (NodeId?)seedNode.Id)]);
        }

        Drain(node);
        ScheduleSessionEnd(node);
    }

    /// <summary>
    /// What an application does with <c>BootstrapAsync</c>'s result: when the table stayed small (the one seed was lost,
    /// crashed, or itself knew nobody yet), it tries again through another seed, a few times, backing off. Without this,
    /// one lost datagram during the join leaves a node isolated for good: the engine itself never re-bootstraps.
    /// </summary>
    private void OnBootstrapCompleted(SimNode node, BootstrapCompleted completed)
    {
        if (completed.RoutingTableSize >= Math.Max(1, _scenario.K / 2) || node.BootstrapAttempts >= MaxBootstrapAttempts)
        {
            return;
        }

        var delay = Ticks(5.0 * node.BootstrapAttempts);
        Schedule(_now + delay, new SimEvent(SimEventKind.Rebootstrap, node.Index, Extra: node.Restarts));
    }

    private void Rebootstrap(SimNode node, int incarnation)
    {
        if (node.State != NodeState.Up || node.Engine is null || node.Restarts != incarnation || RandomUpNode(node.Index) is not { } seedNode)
        {
            return;
        }

        node.BootstrapAttempts++;
        node.Engine.StartBootstrap(node.LocalTime(_now), [(seedNode.Address, (NodeId?)seedNode.Id)]);
        Drain(node);
    }

    private void Crash(SimNode node, bool dead)
    {
        if (node.State != NodeState.Up)
        {
            return;
        }

        node.Engine?.Dispose();
        node.Engine = null;
        node.ScheduledWake = long.MaxValue;
        MarkNotUp(node, dead ? NodeState.Dead : NodeState.Down);
        FailPendingOperations(node);
        if (!dead && ChurnEnabled)
        {
            Schedule(_now + Ticks(DrawDowntimeSeconds()), new SimEvent(SimEventKind.Restart, node.Index));
        }
    }

    /// <summary>A crashed node comes back with the same identity and an empty state, and bootstraps again.</summary>
    private void Restart(SimNode node)
    {
        if (node.State != NodeState.Down)
        {
            return;
        }

        node.Restarts++;
        node.GetsSinceRestart = 0;
        node.GetsSinceRestartSucceeded = 0;
        Join(node);
    }

    private void KillDeadFraction()
    {
        var count = (int)(_scenario.DeadContactFraction * _nodes.Count);
        for (var killed = 0; killed < count && _up.Count > 1;)
        {
            var victim = RandomUpNode();
            if (victim is not null)
            {
                Crash(victim, dead: true);
                killed++;
            }
        }

        Log($"{count} nodes died silently at {NowSeconds:0} s; their entries stay in routing tables");
    }

    /// <summary>
    /// PeerSim-style warm start: every node's table is filled from global knowledge (up to k random nodes per bucket
    /// range), as if each had learned them from replies to its own requests, with one RTT sample each (the pair's base RTT,
    /// no jitter). The summary reports that it was used.
    /// </summary>
    private void WarmStart()
    {
        WarmStarted = true;
        var (ids, order) = SortedIds();

        // Each contact's id and network state, copied once in id order: a bucket's contacts are picked from a range of
        // the sorted ids, and reading them here costs one or two cache lines where the node objects and the network
        // array cost four or five scattered ones (the warm start was most of a 10^5-10^6 node run's wall time).
        var peers = new WarmPeer[ids.Length];
        for (var j = 0; j < peers.Length; j++)
        {
            peers[j] = new WarmPeer(ids[j], order[j], _net[order[j]], _directory.Acquire(ids[j], _net[order[j]].Address));
        }

        foreach (var node in _nodes)
        {
            node.Engine = NewEngine(node);
            MarkUp(node);
        }

        // Nodes are filled a chunk at a time in three steps: each node's bucket ranges, on every core (they depend on the
        // ids alone); its picks, drawn on this thread from the world's generator in the same order as always; then the
        // fill, each table by one thread in the plan's order while other threads fill other tables. A table's contents
        // depend only on its own replies; the tables share the directory, read-only here except for the reference counts
        // of the handles the warm start holds, which the hinted acquire raises atomically. So the tables (and every
        // trace) are the same whatever the threads and their timing. Knowing a node's last bucket before its first
        // reply, the table sizes its bucket array once instead of growing it by one slot per new bucket (7 KB of garbage
        // per node at 10^5).
        var now = _now;
        var split = _engineOptions.Routing.BucketSplitBits;
        const int ChunkNodes = 4096;
        var plans = new List<WarmBucket>[ChunkNodes];
        for (var i = 0; i < plans.Length; i++)
        {
            plans[i] = [];
        }

        var picks = new List<int>();

        // A warm start at 10^6 nodes takes minutes before the first event (and the progress bar): say how far it is every
        // 10 s of wall time. Output only; wall time never reaches the simulated world.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var reported = TimeSpan.Zero;
        for (var first = 0; first < _nodes.Count; first += ChunkNodes)
        {
            var count = Math.Min(ChunkNodes, _nodes.Count - first);
            Parallel.For(0, count, c =>
            {
                var node = _nodes[first + c];
                ref var table = ref node.Engine!.Routing;
                var plan = plans[c];
                plan.Clear();
                for (var bucket = 0; bucket < 256; bucket++)
                {
                    // Ids in this bucket share the first `bucket` bits with the node and differ at the next one; with
                    // split buckets each sub-bucket also fixes the `split` bits after that.
                    var bits = Math.Min(256, bucket + 1 + split);
                    var anywhere = false;
                    for (var sub = 0; sub < 1 << (bits - bucket - 1); sub++)
                    {
                        var prefix = node.Id.FlipBit(bucket).WithBits(bucket + 1, bits - bucket - 1, sub);
                        var (lo, hi) = PrefixRange(ids, prefix, bits);
                        if (hi > lo)
                        {
                            anywhere = true;
                            plan.Add(new WarmBucket(table.SlotOf(ids[lo]), lo, hi, 0, Math.Min(_scenario.K, hi - lo)));
                        }
                    }

                    if (!anywhere && bucket > 40)
                    {
                        break;
                    }
                }
            });

            picks.Clear();
            for (var c = 0; c < count; c++)
            {
                foreach (ref var bucket in CollectionsMarshal.AsSpan(plans[c]))
                {
                    bucket.FirstPick = picks.Count;
                    for (var t = 0; t < bucket.Take; t++)
                    {
                        picks.Add(bucket.Lo + (bucket.Take == bucket.Hi - bucket.Lo ? t : _rng.NextInt32(bucket.Hi - bucket.Lo)));
                    }
                }
            }

            Parallel.For(0, count, c =>
            {
                var node = _nodes[first + c];
                ref var table = ref node.Engine!.Routing;
                var plan = plans[c];
                var at = node.LocalTime(now);
                if (plan.Count > 0)
                {
                    table.ReserveSlots(plan[^1].Slot + 1);
                }

                foreach (var bucket in plan)
                {
                    table.ReserveBucket(bucket.Slot, bucket.Take, at);
                    for (var t = 0; t < bucket.Take; t++)
                    {
                        ref readonly var pick = ref peers[picks[bucket.FirstPick + t]];
                        // Contacts enter a table only through a verified reply, which gives one RTT sample: the base RTT.
                        var rtt = TimeSpan.FromMilliseconds(2 * OneWayDelayMs(node.Index, in _net[node.Index], pick.Index, in pick.Net));
                        var admitted = table.OnVerifiedReply(pick.Id, pick.Net.Address, at, rtt, pick.Handle);

                        // A bucket gets at most k picks, so a reply only adds or refreshes: nothing is evicted or cached,
                        // which would change the shared directory from this thread. Say so loudly if that ever changes.
                        if (admitted.Outcome is not (AdmitOutcome.Added or AdmitOutcome.Updated) || admitted.Evicted is not null)
                        {
                            throw new InvalidOperationException($"Warm start: node {node.Index} admitted a contact as {admitted.Outcome} ({admitted.Reason}); the parallel fill expects only additions and refreshes.");
                        }
                    }
                }
            });

            if (clock.Elapsed - reported >= TimeSpan.FromSeconds(10))
            {
                reported = clock.Elapsed;
                Log(string.Create(CultureInfo.InvariantCulture, $"warm start: {first + count:N0} of {_nodes.Count:N0} tables filled in {reported.TotalSeconds:0} s"));
            }
        }

        foreach (ref readonly var peer in peers.AsSpan())
        {
            _directory.Release(peer.Handle);
        }

        // The tables are as fresh as after a refresh, but a running network does not refresh in step: each bucket's first
        // refresh falls due at a random instant between one and two refresh intervals from now. Without this every bucket
        // of every node fell due at the same instant (at 10^5 nodes a burst of 1.6 M refresh lookups that exhausted
        // memory). Its own seeded stream: the draws above and the first refresh interval are unchanged.
        var spread = new Xoshiro256(_scenario.Seed ^ 0x72656672657368UL);
        foreach (var node in _nodes)
        {
            node.Engine!.Routing.SpreadFirstRefresh(node.LocalTime(now), ref spread.State);
        }

        foreach (var node in _nodes)
        {
            Drain(node);
            ScheduleSessionEnd(node);
        }
    }

    /// <summary>The index range of sorted ids whose first <paramref name="bits"/> bits equal those of <paramref name="prefix"/>.</summary>
    private static (int Lo, int Hi) PrefixRange(NodeId[] sorted, NodeId prefix, int bits)
    {
        var low = prefix.KeepPrefix(bits, ones: false);
        var high = prefix.KeepPrefix(bits, ones: true);
        var lo = LowerBound(sorted, low);
        var hi = LowerBound(sorted, high);
        if (hi < sorted.Length && sorted[hi] == high)
        {
            hi++;
        }

        return (lo, hi);
    }

    private static int LowerBound(NodeId[] sorted, NodeId value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>
    /// One bucket of a node's warm-start plan: its slot, its range of sorted ids, and where its picks start and how many
    /// there are.
    /// </summary>
    private record struct WarmBucket(int Slot, int Lo, int Hi, int FirstPick, int Take);

    /// <summary>A contact as the warm start reads it: id, node index and a copy of the node's network state.</summary>
    private readonly struct WarmPeer(NodeId id, int index, NodeNet net, int handle)
    {
        public readonly NodeId Id = id;
        public readonly int Index = index;
        public readonly NodeNet Net = net;
        public readonly int Handle = handle;
    }
}
