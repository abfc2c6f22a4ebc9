using Dht.Lookup;
using Dht.Records;
using Dht.Wire;

namespace Dht.Protocol;

internal sealed partial class DhtEngine
{
    private Operation NewOperation(OperationKind kind, NodeId target, DhtRecord? record = null, long? cas = null, uint ttl = 0, bool reports = true, int quorum = 1, int? returnQuorum = null)
    {
        var op = new Operation
        {
            Id = _nextOperationId++,
            Kind = kind,
            Deadline = _now + _options.OperationTimeout,
            Lookup = new IterativeLookup(target, LocalId, _options.K, _options.Alpha, _options.MaxLookupCandidates),
            Record = record,
            HasCas = cas.HasValue,
            Cas = cas ?? 0,
            TtlSeconds = ttl,
            ReportsToApplication = reports,
            Quorum = quorum,
            ReturnQuorum = returnQuorum,
        };

        if (returnQuorum is not null)
        {
            op.StoredTo = [];
            op.StoreThreshold = EstimateKClosestDistance();
        }

        op.Lookup.TypicalRtt = _globalRtt.HasSamples ? _globalRtt.Srtt : default;
        if ((kind == OperationKind.Get || returnQuorum is not null) && _options.NearKeyParallelism > 0)
        {
            op.Lookup.NearRadius = returnQuorum is not null ? op.StoreThreshold : EstimateKClosestDistance();
            // An optimistic PUT stores on every likely replica that answers anyway, so it asks all of them at once.
            op.Lookup.NearExtraParallelism = returnQuorum is not null ? _options.K : _options.NearKeyParallelism;
        }

        if (!op.IsMaintenance && _operations.Count - _maintenanceOperations >= _options.MaxConcurrentOperations)
        {
            // Bound reached: the operation fails at once with a reason the caller can act on.
            op.Finished = true;
            Emit(new OperationFailed(op.Id, $"Too many operations in progress (MaxConcurrentOperations = {_options.MaxConcurrentOperations})."));
            return op;
        }

        _operations[op.Id] = op;
        _operationsUsed = true;
        _maintenanceOperations += op.IsMaintenance ? 1 : 0;
        _routing.MarkBucketUsed(target, _now);
        ScheduleTimer(op.Deadline, TimerKind.OperationDeadline, (ulong)op.Id);
        return op;
    }

    private void AddRoutingCandidates(Operation op)
    {
        if (op.Finished)
        {
            return; // refused at creation (MaxConcurrentOperations): its lookup never runs, and must not take an array
        }

        var closest = ClosestScratch;
        _routing.FindClosest(op.Lookup.Target, _options.K, closest);
        foreach (var c in closest)
        {
            op.Lookup.AddCandidate(c.Id, c.Address, rtt: c.Rtt.HasSamples ? c.Rtt.Srtt : default);
        }
    }

    /// <summary>Sends as many lookup requests as alpha allows; finishes the lookup phase when it converged.</summary>
    private void Pump(Operation op)
    {
        if (op.Finished || op.Storing)
        {
            return;
        }

        // A signed GET may end as soon as any answer or failure makes the closest answers agree.
        if (op.FindValue && op.Best is { IsMutable: true } && MutableGetSatisfied(op))
        {
            FinishOperation(op);
            return;
        }

        while (op.Lookup.TryGetNext() is { } candidate)
        {
            if (!SendRequest(candidate.Id, candidate.Address, LookupRequestFor(op), RequestPurpose.Lookup, op))
            {
                op.Lookup.OnFailure(candidate);
            }
        }

        if (op.Lookup.IsFinished && op.ProbesPending == 0)
        {
            OnLookupFinished(op);
        }
    }

    private void OnLookupResponse(Operation op, PendingRequest pending, Message? response)
    {
        if (op.Lookup.Find(pending.Peer) is not { } candidate)
        {
            return;
        }

        if (response is null || response.Type == MessageType.Error)
        {
            op.Lookup.OnFailure(candidate);
            Pump(op);
            return;
        }

        op.Lookup.OnSuccess(candidate);
        if (op.StoredTo is { } storedTo && op.Lookup.DistanceOf(candidate) <= op.StoreThreshold && storedTo.Add(candidate.Id))
        {
            SendStore(op, candidate);
        }

        if (response.Type == MessageType.Nodes)
        {
            op.Lookup.AddCandidates(response.Contacts, candidate);
        }
        else if (response.Type == MessageType.Value && op.FindValue && response.Record is { } record)
        {
            OnValueFound(op, record, candidate, response.TtlSeconds);
            if (op.Finished)
            {
                return;
            }
        }

        Pump(op);
    }

    private void OnValueFound(Operation op, DhtRecord record, LookupCandidate responder, uint ttlSeconds)
    {
        var queryRound = responder.QueryRound;
        if (op.Best is { } best)
        {
            // The replicas of a signed record mostly answer with the same bytes: an answer identical to the best one so
            // far, which passed the signature check, needs no second Ed25519 verification (DhtRecord.TakeVerificationFrom
            // declines on any differing byte).
            record.TakeVerificationFrom(best);
        }

        // Readers validate before believing: a forged or mismatched record never counts.
        if (record.Key != op.Lookup.Target
            || RecordValidator.Validate(record, op.Lookup.Target, _options.MaxValueSize, _crypto) != RecordRejection.None)
        {
            _stats.RecordsRejected++;
            return;
        }

        op.Responses++;
        if (record.IsMutable)
        {
            (op.ValueResponders ??= []).Add((responder.Id, responder.Address, record.Sequence));
        }

        if (op.Best is null || record.Sequence > op.Best.Sequence)
        {
            op.Best = record;
            op.BestCount = 1;
            op.ValueHops = queryRound;
            op.BestTtlSeconds = ttlSeconds;
            op.BestFarthest = op.Lookup.DistanceOf(responder);
        }
        else if (record.Sequence == op.Best.Sequence && record.Value.Span.SequenceEqual(op.Best.Value.Span))
        {
            op.BestCount++;
            op.ValueHops = Math.Max(op.ValueHops, queryRound);
            var distance = op.Lookup.DistanceOf(responder);
            op.BestFarthest = distance > op.BestFarthest ? distance : op.BestFarthest;
        }

        if (!record.IsMutable)
        {
            FinishOperation(op);
        }
    }

    /// <summary>
    /// A signed GET may stop early only when a quorum agrees on the highest sequence seen and every candidate closer to
    /// the key than the farthest of those agreeing nodes has answered (or failed). The nodes closest to the key are the
    /// replicas that every PUT, republish and replication reaches, so agreement among them, not among any two nodes,
    /// is what makes the answer current: replicas farther out may have missed updates.
    /// </summary>
    private static bool MutableGetSatisfied(Operation op) =>
        op.Best is not null && op.BestCount >= op.Quorum && !op.Lookup.HasUnansweredCloserThan(op.BestFarthest);

    private void OnLookupFinished(Operation op)
    {
        if (op.Kind is OperationKind.Put or OperationKind.Replicate)
        {
            StartStorePhase(op);
            return;
        }

        FinishOperation(op);
    }

    private void StartStorePhase(Operation op)
    {
        op.Storing = true;
        foreach (var target in op.Lookup.ClosestSucceeded(_options.StoreFanout ?? _options.K))
        {
            if (op.StoredTo is null || op.StoredTo.Add(target.Id))
            {
                SendStore(op, target);
            }
        }

        if (op.StoresPending == 0)
        {
            FinishOperation(op);
        }
    }

    private void SendStore(Operation op, LookupCandidate target)
    {
        var store = new Message
        {
            Type = MessageType.Store,
            Record = op.Record,
            HasCas = op.HasCas,
            Cas = op.Cas,
            TtlSeconds = op.TtlSeconds,
        };

        op.Attempted++;
        if (SendRequest(target.Id, target.Address, store, RequestPurpose.Store, op))
        {
            op.StoresPending++;
        }
    }

    /// <summary>
    /// The XOR distance within which about k nodes lie around any point: the distance of this node's k-th closest
    /// contact to itself (ids are uniform, and a node knows its own neighbourhood best). Everything when the table
    /// holds fewer than k contacts.
    /// </summary>
    private NodeId EstimateKClosestDistance()
    {
        var closest = ClosestScratch;
        _routing.FindClosest(LocalId, _options.K, closest);
        return closest.Count >= _options.K
            ? closest[^1].Id.Xor(LocalId)
            : new NodeId(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue);
    }

    private void OnStoreResponse(Operation op, Message? response)
    {
        op.StoresPending--;
        if (response is { Type: MessageType.Stored })
        {
            if (response.ResultCode == 0)
            {
                op.Acknowledged++;
            }
            else
            {
                var reason = (RecordRejection)response.ResultCode;
                op.Rejections ??= [];
                op.Rejections[reason] = op.Rejections.GetValueOrDefault(reason) + 1;
            }
        }

        if (op.ReturnQuorum is { } quorum && !op.Reported && op.Acknowledged >= quorum)
        {
            op.Reported = true;
            // The PUT goes on, so the event gets a copy of the tallies.
            Emit(PutEvent(op, new OperationStats(op.Lookup.RequestsSent + op.Attempted, op.Lookup.Rounds, op.Lookup.Rounds), op.Rejections is null ? NoRejections : new SortedDictionary<RecordRejection, int>(op.Rejections)));
        }

        if (op.StoresPending == 0 && op.Storing)
        {
            FinishOperation(op);
        }
    }

    /// <summary>The tallies of a PUT that no node refused; shared and never modified.</summary>
    private static readonly IReadOnlyDictionary<RecordRejection, int> NoRejections = System.Collections.ObjectModel.ReadOnlyDictionary<RecordRejection, int>.Empty;

    private static PutCompleted PutEvent(Operation op, OperationStats stats, IReadOnlyDictionary<RecordRejection, int> rejections) =>
        new(op.Id, new PutResult(op.Record!.Key, op.Acknowledged, op.Attempted, rejections, op.LocalResult)) { Stats = stats };

    private void FinishOperation(Operation op)
    {
        if (op.Finished)
        {
            return;
        }

        op.Finished = true;
        ForgetOperation(op);
        if (!op.IsMaintenance && !op.Reported)
        {
            Report(op);
        }

        // A finished operation's lookup is never read or changed again (every path that feeds it checks Finished, and
        // the operation has left _operations): its candidate array goes back to the pool.
        op.Lookup.Release();
    }

    /// <summary>Emits the completion event of a finished operation.</summary>
    private void Report(Operation op)
    {
        var rounds = op.Lookup.Rounds;
        var stats = new OperationStats(
            op.Lookup.RequestsSent + op.Attempted,
            rounds,
            op.Kind == OperationKind.Get ? op.ValueHops : rounds);
        switch (op.Kind)
        {
            case OperationKind.Bootstrap:
                Emit(new BootstrapCompleted(op.Id, _routing.Count, op.Lookup.Succeeded) { Stats = stats });
                break;
            case OperationKind.Put:
                Emit(PutEvent(op, stats, op.Rejections ?? NoRejections));
                break;
            case OperationKind.Get:
                Emit(new GetCompleted(op.Id, op.Best, op.Responses) { Stats = stats });
                RepairStaleReplicas(op);
                break;
            case OperationKind.Lookup:
                // The candidates go to the sink as they are, not copied into the event: in the simulator, which scores
                // lookups against global knowledge, the copies were a tenth of the bytes its event loop allocated.
                _options.LookupDetails?.Invoke(op.Id, op.Lookup.Target, op.Lookup.Candidates);
                Emit(new LookupCompleted(op.Id, op.Lookup.ClosestSucceededIds(_options.K)) { Stats = stats });
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// Read repair: nodes that answered a signed GET with an older sequence get the newest record (with the lifetime its
    /// holder reported), so replicas that missed an update, for example across a healed partition, catch up. Fire and
    /// forget, bounded by the number of answers (at most the lookup's candidates); the storer validates as for any STORE.
    /// </summary>
    private void RepairStaleReplicas(Operation op)
    {
        if (op.Best is not { IsMutable: true } best || op.ValueResponders is null || op.BestTtlSeconds == 0)
        {
            return;
        }

        foreach (var (id, address, sequence) in op.ValueResponders)
        {
            if (sequence < best.Sequence)
            {
                var store = new Message { Type = MessageType.Store, Record = best, TtlSeconds = op.BestTtlSeconds };
                SendRequest(id, address, store, RequestPurpose.Store, null);
            }
        }
    }

    private RecordRejection StoreLocal(DhtRecord record, long? cas, bool isLocal, uint ttlSeconds)
    {
        var rejection = RecordValidator.Validate(record, record.Key, _options.MaxValueSize, _crypto);
        if (rejection != RecordRejection.None)
        {
            return rejection;
        }

        rejection = _storage.TryStore(record, cas, LocalId, isLocal, _now, TimeSpan.FromSeconds(ttlSeconds));
        if (rejection == RecordRejection.None && isLocal)
        {
            _republish.Set(record.Key, _now + _options.RepublishInterval);
        }

        return rejection;
    }
}
