using Dht.Records;
using Dht.Security;
using Dht.Wire;

namespace Dht.Protocol;

internal sealed partial class DhtEngine
{
    /// <summary>
    /// Answers an authenticated request. <paramref name="session"/> is the sender's session, from the packet's opening;
    /// it is used for the responses only, before the verification ping below may add (and evict) sessions.
    /// </summary>
    private DropReason HandleRequest(PeerAddress from, NodeId sender, Message request, int requestSize, Session session)
    {
        _stats.RequestsServed++;
        // An authenticated request shows a live node in the sender's range: that bucket needs no refresh lookup for now.
        _routing.MarkSenderActive(sender, _now);
        var tokenValid = request.HasToken && _tokens.Verify(request.Token, sender, from, _now);
        var validated = tokenValid || (_routing.TryGetAddress(sender, out var knownAddress) && knownAddress == from);
        var token = _tokens.Issue(sender, from, _now);
        var budget = validated ? int.MaxValue : 3 * requestSize;

        var responses = BuildResponses(from, sender, request, tokenValid);
        var total = 0;
        foreach (var r in responses)
        {
            r.RequestId = request.RequestId;
            r.Token = token;
            r.HasToken = true;
            total += MessageCodec.GetEncodedLength(r) + WireConstants.SealedOverhead;
        }

        if (total > budget)
        {
            // Anti-amplification: an unvalidated address never gets more than 3x what it sent. Tell it to retry with the token.
            _stats.AmplificationLimited++;
            responses.Clear();
            responses.Add(new Message { Type = MessageType.Error, Error = ErrorCode.AddressUnvalidated, RequestId = request.RequestId, Token = token, HasToken = true });
            total = MessageCodec.GetEncodedLength(responses[0]) + WireConstants.SealedOverhead;
        }

        foreach (var r in responses)
        {
            SendSealed(session, from, r);
        }

        // Unsolicited traffic never changes the main buckets: an unknown requester is pinged and enters the table only if
        // it answers. From an unvalidated address the ping counts against the same 3x budget as the response.
        if (_verificationsInFlight < _options.MaxVerificationsInFlight
            && (validated || total + PingDatagramSize <= budget)
            && _pendingVerifications?.Contains(sender) != true
            && _routing.ShouldVerify(sender))
        {
            PendingVerifications.Add(sender);
            _verificationsInFlight++;
            if (!SendRequest(sender, from, PingRequest, RequestPurpose.Verify, null))
            {
                _verificationsInFlight--;
                PendingVerifications.Remove(sender);
            }
        }

        return DropReason.None;
    }

    private List<Message> BuildResponses(PeerAddress from, NodeId sender, Message request, bool tokenValid)
    {
        // The list and the messages come from the thread's scratch set (see _responseScratch), reset for this request:
        // the responses are sealed and queued before the next request is handled. (A list per engine was one more object
        // every request read: at 10^5 simulated engines, a cache miss.)
        var scratch = _responseScratch ??= new ResponseScratch();
        var responses = scratch.Begin();
        switch (request.Type)
        {
            case MessageType.Ping:
                var pong = scratch.Next();
                pong.Type = MessageType.Pong;
                pong.ObservedAddress = from;
                responses.Add(pong);
                return responses;
            case MessageType.FindNode:
                return BuildNodes(request.Target, sender, responses);
            case MessageType.FindValue:
                if (_storage.TryGet(request.Target, _now, out var stored))
                {
                    var remaining = stored.ExpiresAtTicks - _now.Ticks;
                    var value = scratch.Next();
                    value.Type = MessageType.Value;
                    value.Record = stored.Record;
                    value.TtlSeconds = (uint)Math.Clamp(remaining / TimeSpan.TicksPerSecond, 1, uint.MaxValue);
                    responses.Add(value);
                    return responses;
                }

                return BuildNodes(request.Target, sender, responses);
            case MessageType.Store:
                var answer = scratch.Next();
                if (!tokenValid)
                {
                    answer.Type = MessageType.Error;
                    answer.Error = ErrorCode.InvalidToken;
                }
                else
                {
                    HandleStore(sender, request, answer);
                }

                responses.Add(answer);
                return responses;
            default:
                return responses;
        }
    }

    private void HandleStore(NodeId sender, Message request, Message answer)
    {
        var record = request.Record!;
        if (record.IsMutable && _storage.TryGet(record.Key, _now, out var held))
        {
            // A re-store of the signed record held here, byte for byte (the publisher's republish, the other replicas'
            // replication: most STOREs of signed records), passes the signature check the held copy passed: no second
            // Ed25519 verification (tens of microseconds with real crypto) for the same bytes.
            record.TakeVerificationFrom(held.Record);
        }

        var rejection = RecordValidator.Validate(record, record.Key, _options.MaxValueSize, _crypto);
        if (rejection == RecordRejection.None)
        {
            var ttl = TimeSpan.FromSeconds(Math.Min(request.TtlSeconds, _options.RecordTtl.TotalSeconds));
            rejection = _storage.TryStore(record, request.HasCas ? request.Cas : null, sender, isLocal: false, _now, ttl);
            if (rejection == RecordRejection.None && !_replicate.Contains(record.Key))
            {
                _replicate.Set(record.Key, _now + Jittered(_options.ReplicationInterval));
            }
        }

        answer.Type = MessageType.Stored;
        answer.ResultCode = (byte)rejection;
        answer.StoredSequence = _storage.TryGet(record.Key, _now, out var current) ? current.Record.Sequence : -1;
    }

    private List<Message> BuildNodes(NodeId target, NodeId requester, List<Message> parts)
    {
        // The closest contacts come as directory handles (no contact state copied); only their ids and addresses are read.
        var scratch = _responseScratch!;
        var handles = scratch.Handles(_options.K);
        var found = _routing.FindClosestPeers(target, requester, handles);

        // Split across datagrams when k contacts do not fit one (discv5 NODES "total"). This runs for every FIND_NODE
        // and every FIND_VALUE miss, so each part's contacts go into a reused slice of the thread's scratch set: the
        // parts are sealed and queued before HandleRequest returns. A part never holds more than fit one datagram.
        var capacity = WireConstants.MaxMessageSize - WireConstants.ResponseHeaderSize - 2;
        var slice = scratch.NextSlice();
        var inPart = 0;
        var used = 0;
        foreach (var handle in handles[..found])
        {
            var address = _routing.PeerAddressOf(handle);
            var size = MessageCodec.AddressLength(address) + NodeId.Size;
            if (used + size > capacity)
            {
                parts.Add(NodesPart(scratch, slice, inPart));
                slice = scratch.NextSlice();
                inPart = 0;
                used = 0;
            }

            slice.Buffer[inPart++] = new WireContact(_routing.PeerIdOf(handle), address);
            used += size;
        }

        parts.Add(NodesPart(scratch, slice, inPart));
        foreach (var p in parts)
        {
            p.Total = (byte)parts.Count;
        }

        return parts;
    }

    private static Message NodesPart(ResponseScratch scratch, ContactSlice contacts, int count)
    {
        var part = scratch.Next();
        part.Type = MessageType.Nodes;
        part.Contacts = contacts.Take(count);
        return part;
    }

    /// <summary>
    /// Answer messages and NODES contact slices reused from one request to the next (see <c>_responseScratch</c>):
    /// <see cref="Begin"/> at the start of each request, then <see cref="Next"/> and <see cref="NextSlice"/> hand out
    /// reset objects, adding new ones only when a request needs more than any before it.
    /// </summary>
    private sealed class ResponseScratch
    {
        private readonly List<Message> _messages = [];
        private readonly List<ContactSlice> _slices = [];
        private readonly List<Message> _responses = new(1);
        private int[] _handles = [];
        private int _nextMessage;
        private int _nextSlice;

        /// <summary>Starts the responses to one request: returns the (emptied) list they are collected in.</summary>
        public List<Message> Begin()
        {
            _nextMessage = 0;
            _nextSlice = 0;
            _responses.Clear();
            return _responses;
        }

        public Message Next()
        {
            if (_nextMessage == _messages.Count)
            {
                _messages.Add(new Message());
            }

            var message = _messages[_nextMessage++];
            message.Reset();
            return message;
        }

        /// <summary>Room for <paramref name="count"/> directory handles (the closest contacts of one answer).</summary>
        public Span<int> Handles(int count)
        {
            if (_handles.Length < count)
            {
                _handles = new int[count];
            }

            return _handles.AsSpan(0, count);
        }

        public ContactSlice NextSlice()
        {
            if (_nextSlice == _slices.Count)
            {
                _slices.Add(new ContactSlice());
            }

            return _slices[_nextSlice++].Take(0);
        }
    }

    private TimeSpan Jittered(TimeSpan interval) =>
        interval + TimeSpan.FromTicks((long)(interval.Ticks * 0.1 * _rng.NextDouble()));
}
