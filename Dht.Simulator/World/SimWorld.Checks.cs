using Dht.Simulator.Metrics;

namespace Dht.Simulator.World;

internal sealed partial class SimWorld
{
    private long _intervalSent;
    private long _intervalBytes;
    private int _durabilityCursor;

    /// <summary>Replay command printed with every violation.</summary>
    public string ReplayCommand { get; set; } = "";

    private void Violation(string message)
    {
        if (Violations.Count < 100)
        {
            Violations.Add($"t={NowSeconds:0.000}s {message}");
        }
    }

    private void CloseInterval()
    {
        Timeline.Add(new TimelineRow(NowSeconds, _up.Count, _intervalOps, _intervalOk,
            Accounting.Sent - _intervalSent, Accounting.Bytes - _intervalBytes));
        _intervalOps = 0;
        _intervalOk = 0;
        _intervalSent = Accounting.Sent;
        _intervalBytes = Accounting.Bytes;
        if (_scenario.Checks.Durability)
        {
            CheckDurability(sample: 16);
        }

        if (_scenario.Checks.RoutingInvariants && _up.Count > 0)
        {
            CheckRoutingTable(_nodes[_up[_rng.NextInt32(_up.Count)]]);
        }

        Schedule(_now + Ticks(_scenario.TimelineIntervalSeconds), new SimEvent(SimEventKind.Interval, -1));
    }

    /// <summary>Every acknowledged put must be held by at least one live node until its TTL (global knowledge).</summary>
    private void CheckDurability(int sample)
    {
        var margin = Ticks(_scenario.TimelineIntervalSeconds);
        for (var i = 0; i < sample && _puts.Count > 0; i++)
        {
            var put = _puts[_durabilityCursor++ % _puts.Count];
            if (put.ExpiresTicks <= _now + margin)
            {
                continue;
            }

            if (!AnyLiveHolder(put.Key))
            {
                Violation($"durability: acknowledged record {put.Key} (acked at {put.AckedTicks / (double)TimeSpan.TicksPerSecond:0.0}s by {put.Acknowledged}) is held by no live node before its TTL");
            }
        }
    }

    /// <summary>
    /// Whether any live node holds <paramref name="key"/>. A record is stored on the nodes closest to its key, which
    /// sit next to the key in id order, so those are asked first; only when none of them holds it (a broken
    /// replication, say) does the search go through every live node. The answer is the full search's either way; the
    /// first step only finds it sooner: the full search alone asked about 5,000 nodes per record at 10^5 nodes (about
    /// 4% of `static-100k`'s loop by count) and 50,000 at 10^6.
    /// </summary>
    internal bool AnyLiveHolder(NodeId key)
    {
        var (ids, order) = SortedIds();
        var insert = LowerBound(ids, key);
        for (var i = Math.Max(0, insert - _scenario.K); i < Math.Min(ids.Length, insert + _scenario.K); i++)
        {
            if (HoldsLive(order[i], key))
            {
                return true;
            }
        }

        foreach (var index in _up)
        {
            if (HoldsLive(index, key))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether node <paramref name="index"/> is up and holds an unexpired record under <paramref name="key"/> (by its own clock).</summary>
    private bool HoldsLive(int index, NodeId key)
    {
        var node = _nodes[index];
        return node.State == NodeState.Up
            && node.Engine is { } engine
            && engine.Storage.TryGet(key, node.LocalTime(_now), out _);
    }

    private void CheckRoutingTable(SimNode node)
    {
        var seen = new HashSet<NodeId>();
        ref var table = ref node.Engine!.Routing;
        var perBucket = new int[257 << table.Options.BucketSplitBits];
        foreach (var contact in table.AllContacts())
        {
            if (contact.Id == node.Id)
            {
                Violation($"routing: node {node.Index} has itself in its table");
            }

            if (!seen.Add(contact.Id))
            {
                Violation($"routing: node {node.Index} lists {contact.Id} twice");
            }

            // With split buckets (accelerated lookups) the bound holds per sub-bucket: slot = bucket index and the next bits.
            var slot = table.SlotOf(contact.Id);
            if (++perBucket[slot] > _scenario.K)
            {
                Violation($"routing: node {node.Index} bucket slot {slot} holds more than k = {_scenario.K}");
            }

            var index = IndexOf(contact.Address);
            if (index < 0 || index >= _nodes.Count || _nodes[index].Id != contact.Id)
            {
                Violation($"routing: node {node.Index} maps {contact.Id} to {contact.Address}, which is not that node");
            }
        }
    }

    private void RunFinalChecks()
    {
        if (!Accounting.Balances)
        {
            Violation($"accounting: sent {Accounting.Sent} + duplicated {Accounting.Duplicated} != delivered {Accounting.Delivered} + dropped {Accounting.DroppedTotal} + in flight {Accounting.InFlight}");
        }

        if (_scenario.Checks.Durability)
        {
            CheckDurability(sample: _puts.Count);
        }

        if (_scenario.Checks.LatestSequence && _scenario.Workload.StopWritesSeconds is { } stop && NowSeconds > stop + 60)
        {
            CheckLatestSequence(stop);
        }

        if (_scenario.Network.Partitions.Count > 0)
        {
            CheckConvergence();
        }
    }

    /// <summary>Once writes stop, GETs of signed records (started a minute later) must return the latest sequence.</summary>
    private void CheckLatestSequence(double stopSeconds)
    {
        var late = Operations.Where(o => o.Kind == "signedGet" && o.StartSeconds > stopSeconds + 60).ToList();
        var stale = late.Count(o => !o.Success);
        if (late.Count > 0 && stale > late.Count * 0.01)
        {
            Violation($"latest-seq: {stale} of {late.Count} signed GETs after writes stopped did not return the latest sequence");
        }
    }

    /// <summary>After the last partition heals (and a settling minute), GET success must be back to the threshold.</summary>
    private void CheckConvergence()
    {
        var healed = _scenario.Network.Partitions.Max(p => p.EndSeconds) + 60;
        var after = Operations.Where(o => o.StartSeconds >= healed && o.Kind is "get" or "signedGet").ToList();
        if (after.Count == 0)
        {
            Violation("convergence: no GET ran after the partitions healed; lengthen the scenario");
            return;
        }

        var rate = after.Count(o => o.Success) / (double)after.Count;
        if (rate < _scenario.Checks.ConvergenceSuccess)
        {
            Violation($"convergence: GET success after healing is {rate:P2}, below {_scenario.Checks.ConvergenceSuccess:P2}");
        }
    }
}
