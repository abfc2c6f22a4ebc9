using Dht.Rpc;
using Dht.Security;
using Dht.Wire;

namespace Dht.Protocol;

internal sealed partial class DhtEngine
{
    /// <summary>Sends a request; false when it cannot be sent (bounds reached or the peer's key is unusable).</summary>
    private bool SendRequest(NodeId peer, PeerAddress address, Message request, RequestPurpose purpose, Operation? op, bool retried = false)
    {
        if (_pending.Count >= _options.MaxPendingRequests || address.IsUnspecified)
        {
            return false;
        }

        // Hinted together (MemoryHint): the peer's session chain, the directory cell a new session takes, and the
        // peer's routing bucket (read for its round-trip time).
        _sessions.HintChain(peer);
        _routing.Directory.HintCell(peer, address);
        _routing.HintBucket(peer);

        // The handle is used only up to SendSealed, which adds no session (see Session for the rule).
        if (!_sessions.TryGetOrCreate(peer, address, out var session))
        {
            return false;
        }

        request.RequestId = NewRequestId();
        request.HasToken = _sessions.TryGetToken(session, address, out var token);
        request.Token = request.HasToken ? token : default;

        // Without a token our address is unvalidated there: pad lookups so the full answer fits the responder's 3x bound.
        // PING needs no padding (PONG is smaller than 3x PING) and STORE is sent only with a token.
        var pad = !request.HasToken && request.Type is MessageType.FindNode or MessageType.FindValue;
        SendSealed(session, address, request, pad ? MinUnvalidatedRequestSize : 0);
        // One routing-table read serves both timeouts.
        var ownRtt = _routing.TryGetRtt(peer, out var rtt) && rtt.HasSamples ? rtt : (RttEstimator?)null;
        var deadline = _now + RequestTimeout(ownRtt);
        var pending = PendingRequest.Rent();
        pending.RequestId = request.RequestId;
        pending.Peer = peer;
        pending.Address = address;
        pending.Request = request;
        pending.RequestType = request.Type;
        pending.Purpose = purpose;
        pending.SentAt = _now;
        pending.Operation = op;
        pending.Lookup = op?.Lookup;
        pending.Retried = retried;
        _pending[request.RequestId] = pending;
        _stats.RequestsSent++;
        ScheduleTimer(deadline, TimerKind.RequestDeadline, request.RequestId);
        if (purpose == RequestPurpose.Lookup && SoftTimeout(ownRtt) is { } soft && _now + soft < deadline)
        {
            ScheduleTimer(_now + soft, TimerKind.SoftDeadline, request.RequestId);
        }

        return true;
    }

    /// <summary>Drops an answered request from the pending table and cancels its deadlines.</summary>
    private void ForgetRequest(ulong requestId)
    {
        _pending.Remove(requestId);
        _timers.CancelRequest(requestId);
    }

    /// <summary>
    /// When a lookup stops waiting for an answer (but still accepts it): the peer's own RTO when it has one, else the RTO
    /// over all peers (without the doubling the hard timeout adds for strangers). Null when nothing is measured yet.
    /// <paramref name="ownRtt"/> is the peer's routing-table estimator when it has samples, else null.
    /// </summary>
    private TimeSpan? SoftTimeout(RttEstimator? ownRtt)
    {
        if (ownRtt is not null)
        {
            return null; // its hard timeout is already its own RTO
        }

        return _globalRtt.HasSamples
            ? _globalRtt.RetransmitTimeout(_options.MinRequestTimeout, _options.MaxRequestTimeout, _options.InitialRequestTimeout)
            : null;
    }

    private void OnSoftDeadline(ulong requestId)
    {
        if (_pending.TryGetValue(requestId, out var pending) && pending.Operation is { Finished: false } op
            && op.Lookup.Find(pending.Peer) is { State: Lookup.CandidateState.InFlight } candidate)
        {
            op.Lookup.OnSlow(candidate);
            Pump(op);
        }
    }

    /// <summary>
    /// A request's hard timeout (RFC 6298): the peer's own RTO when <paramref name="ownRtt"/> (its routing-table
    /// estimator, when it has samples) is given, else twice the RTO over all peers, else the initial timeout.
    /// </summary>
    private TimeSpan RequestTimeout(RttEstimator? ownRtt)
    {
        var min = _options.MinRequestTimeout;
        var max = _options.MaxRequestTimeout;
        if (ownRtt is { } own)
        {
            return own.RetransmitTimeout(min, max, _options.InitialRequestTimeout);
        }

        return _globalRtt.HasSamples
            ? TimeSpan.FromTicks(Math.Clamp(_globalRtt.RetransmitTimeout(min, max, _options.InitialRequestTimeout).Ticks * 2, min.Ticks, max.Ticks))
            : _options.InitialRequestTimeout;
    }

    /// <summary>
    /// Matches an authenticated response to its request. <paramref name="session"/> is the sender's session, from the
    /// packet's opening; it is used at once, before the eviction check below may add sessions.
    /// </summary>
    private DropReason HandleResponse(PeerAddress from, NodeId sender, Message response, Session session)
    {
        if (!_pending.TryGetValue(response.RequestId, out var pending) || pending.Peer != sender)
        {
            return DropReason.UnexpectedResponse;
        }

        if (pending.Address != from)
        {
            return DropReason.ResponseFromWrongAddress;
        }

        // The type kept in the pending entry: the request message is another object, and at 10^5 engines another cache miss.
        if (!ResponseMatches(pending.RequestType, response.Type))
        {
            return DropReason.UnexpectedResponse;
        }

        // The answer's operation and lookup, hinted now (MemoryHint), arrive while the routing table takes the sender;
        // the lookup's search lines are hinted once its object has arrived.
        var lookup = pending.Lookup;
        if (lookup is not null)
        {
            MemoryHint.Object(pending.Operation!);
            MemoryHint.Object(lookup);
        }

        _sessions.RememberToken(session, from, response.Token);

        var rtt = _now - pending.SentAt;
        _globalRtt.AddSample(rtt);
        var admit = _routing.OnVerifiedReply(sender, from, _now, rtt);
        _routing.MarkSenderActive(sender, _now);
        lookup?.HintSearch();
        if (admit.PingCandidate is { } oldest && (_evictionChecks?.Count ?? 0) < _options.MaxVerificationsInFlight && EvictionChecks.Add(oldest.Id))
        {
            if (!SendRequest(oldest.Id, oldest.Address, PingRequest, RequestPurpose.EvictionCheck, null))
            {
                EvictionChecks.Remove(oldest.Id);
            }
        }

        if (response.Type == MessageType.Error && !pending.Retried
            && response.Error is ErrorCode.AddressUnvalidated or ErrorCode.InvalidToken)
        {
            // Our address was not (or no longer) validated there: retry once at once with the token this answer carries.
            ForgetRequest(pending.RequestId);
            // A PING or a lookup request retries with this thread's message for it: the one the request was sent with
            // belongs to the thread that sent it, which another engine may be using right now (DhtNode's loop moves
            // between threads), and has been set for other requests since.
            var request = pending.RequestType switch
            {
                MessageType.Ping => PingRequest,
                MessageType.FindNode or MessageType.FindValue when pending.Operation is { } lookupOp => LookupRequestFor(lookupOp),
                _ => pending.Request,
            };
            if (!SendRequest(pending.Peer, pending.Address, request, pending.Purpose, pending.Operation, retried: true))
            {
                CompleteRequest(pending, null);
            }

            PendingRequest.Return(pending);
            return DropReason.None;
        }

        if (response.Type == MessageType.Nodes && response.Total > 1)
        {
            pending.Parts ??= [];
            pending.Parts.AddRange(response.Contacts);
            if (++pending.PartsReceived < response.Total)
            {
                return DropReason.None;
            }

            response.Contacts = pending.Parts;
        }

        ForgetRequest(pending.RequestId);
        CompleteRequest(pending, response);
        PendingRequest.Return(pending);
        return DropReason.None;
    }

    private static bool ResponseMatches(MessageType request, MessageType response) =>
        response == MessageType.Error || (request, response) switch
        {
            (MessageType.Ping, MessageType.Pong) => true,
            (MessageType.FindNode, MessageType.Nodes) => true,
            (MessageType.FindValue, MessageType.Nodes or MessageType.Value) => true,
            (MessageType.Store, MessageType.Stored) => true,
            _ => false,
        };

    private void OnRequestDeadline(ulong requestId)
    {
        if (!_pending.Remove(requestId, out var pending))
        {
            return;
        }

        _stats.RequestTimeouts++;
        if (pending.Parts is { Count: > 0 })
        {
            // Some NODES parts arrived: use what we have.
            CompleteRequest(pending, new Message { Type = MessageType.Nodes, Contacts = pending.Parts, RequestId = requestId });
        }
        else
        {
            _routing.OnRequestFailed(pending.Peer, _now);
            CompleteRequest(pending, null);
        }

        PendingRequest.Return(pending);
    }

    /// <summary>
    /// Routes a finished request (response, or null for a failure) to whoever sent it. Nothing it calls may keep
    /// <paramref name="pending"/>: the caller returns it to the pool afterwards.
    /// </summary>
    private void CompleteRequest(PendingRequest pending, Message? response)
    {
        switch (pending.Purpose)
        {
            case RequestPurpose.Verify:
                _verificationsInFlight--;
                _pendingVerifications?.Remove(pending.Peer);
                return;
            case RequestPurpose.EvictionCheck:
                _evictionChecks?.Remove(pending.Peer);
                return;
            case RequestPurpose.Lookup:
                if (pending.Operation is { Finished: false } op)
                {
                    OnLookupResponse(op, pending, response);
                }

                return;
            case RequestPurpose.Store:
                if (pending.Operation is { Finished: false } storeOp)
                {
                    OnStoreResponse(storeOp, response);
                }

                return;
        }
    }
}
