namespace Dht.Protocol;

internal sealed partial class DhtEngine
{
    /// <summary>
    /// The refresh targets of one tick, shared by the engines of a thread like the other scratch lists
    /// (<see cref="_closestScratch"/>): <see cref="RefreshBuckets"/> fills and consumes it, and nothing it calls uses
    /// it. An engine of its own was one more object every maintenance tick read (at 10^5 simulated engines, a cache
    /// miss on every tick).
    /// </summary>
    [ThreadStatic]
    private static List<NodeId>? _refreshTargets;

    /// <summary>Periodic work: expiry, republish (publisher), re-replication (storers), bucket refresh.</summary>
    private void RunMaintenance()
    {
        _storage.RemoveExpired(_now);
        var budget = _options.MaxMaintenanceOperations - _maintenanceOperations;
        budget = Rebootstrap(budget);
        budget = Republish(budget);
        budget = Replicate(budget);
        RefreshBuckets(budget);
    }

    /// <summary>
    /// A node whose table holds fewer than k/2 contacts (its bootstrap found nobody, or it lost its contacts) bootstraps
    /// again through the seeds it was last given, at most one such operation at a time.
    /// </summary>
    private int Rebootstrap(int budget)
    {
        // The table's size first: every tick reads the table anyway (RefreshBuckets), and the seed list only when needed.
        if (budget <= 0 || _routing.Count >= Math.Max(1, _options.K / 2) || _bootstrapSeeds.Count == 0)
        {
            return budget;
        }

        foreach (var op in _operations.Values)
        {
            if (op.Kind == OperationKind.Bootstrap)
            {
                return budget;
            }
        }

        var rebootstrap = NewOperation(OperationKind.Bootstrap, LocalId, reports: false);
        SeedBootstrap(rebootstrap, _bootstrapSeeds);
        return budget - 1;
    }

    private int Republish(int budget)
    {
        foreach (var key in _republish.DueKeys(_now))
        {
            if (!_storage.TryGet(key, _now, out var stored) || !stored.IsLocal)
            {
                _republish.Remove(key);
                continue;
            }

            if (budget <= 0)
            {
                break;
            }

            budget--;
            var ttl = (uint)_options.RecordTtl.TotalSeconds;
            StoreLocal(stored.Record, null, isLocal: true, ttl);
            var op = NewOperation(OperationKind.Put, key, stored.Record, null, ttl, reports: false);
            _republish.Set(key, _now + _options.RepublishInterval);
            AddRoutingCandidates(op);
            Pump(op);
        }

        return budget;
    }

    private int Replicate(int budget)
    {
        foreach (var key in _replicate.DueKeys(_now))
        {
            if (!_storage.TryGet(key, _now, out var stored))
            {
                _replicate.Remove(key);
                continue;
            }

            if (budget <= 0)
            {
                break;
            }

            budget--;
            _replicate.Set(key, _now + Jittered(_options.ReplicationInterval));
            if (stored.IsLocal)
            {
                continue; // the publisher's republish covers it
            }

            // Storers pass the record on with its remaining lifetime, so it survives its publisher until its TTL, no longer.
            var remaining = (uint)Math.Max(1, (stored.ExpiresAtTicks - _now.Ticks) / TimeSpan.TicksPerSecond);
            var op = NewOperation(OperationKind.Replicate, key, stored.Record, null, remaining, reports: false);
            AddRoutingCandidates(op);
            Pump(op);
        }

        return budget;
    }

    private void RefreshBuckets(int budget)
    {
        // The table's lower bound on its next refresh is inline in the engine: a tick with nothing due reads nothing else.
        if (budget <= 0 || _routing.Count == 0 || !_routing.MayNeedRefresh(_now))
        {
            return;
        }

        var targets = _refreshTargets ??= [];
        // Only as many buckets as the budget allows are marked refreshed; the others stay due for the next tick.
        _routing.CollectBucketsNeedingRefresh(_now, ref _rng, targets, budget);
        foreach (var target in targets)
        {
            _stats.BucketRefreshes++;
            var op = NewOperation(OperationKind.Refresh, target, reports: false);
            AddRoutingCandidates(op);
            Pump(op);
        }
    }
}
