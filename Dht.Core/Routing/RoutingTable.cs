using Dht.Protocol;

namespace Dht.Routing;

/// <summary>
/// The Kademlia routing table of one node: buckets indexed by the common-prefix length of a contact's id with the
/// local id (bucket i holds ids sharing exactly i leading bits with the local id).
/// </summary>
/// <remarks>
/// <para>Sans-IO and deterministic: time comes in as <see cref="Instant"/>, randomness from the caller's
/// <see cref="Xoshiro256"/>, and every enumeration follows bucket index then bucket order.</para>
/// <para>Memory: buckets are created on first use and the bucket array only grows to the highest bucket used
/// (about log2(network size) entries), so an idle table costs a few dozen bytes.</para>
/// <para>Only <see cref="OnVerifiedReply"/> adds contacts: unsolicited traffic must go through
/// <see cref="ShouldVerify"/> and a PING first. Not thread-safe.</para>
/// </remarks>
internal sealed partial class RoutingTable
{
    /// <summary>The number of possible buckets (one per bit of the id).</summary>
    public const int MaxBuckets = NodeId.Size * 8;

    private readonly RoutingOptions _options;
    private KBucket?[] _buckets = [];

    public RoutingTable(NodeId localId, RoutingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (localId.IsZero)
        {
            throw new ArgumentException("The local id must not be zero.", nameof(localId));
        }

        LocalId = localId;
        _options = options;
    }

    public NodeId LocalId { get; }

    public RoutingOptions Options => _options;

    /// <summary>Contacts in the buckets (replacement caches not counted).</summary>
    public int Count { get; private set; }

    /// <summary>The bucket index of <paramref name="id"/>: its common-prefix length with the local id (256 for the local id).</summary>
    public int BucketIndexOf(NodeId id) => LocalId.CommonPrefixLength(id);

    /// <summary>
    /// Records a valid authenticated reply from <paramref name="id"/> at <paramref name="address"/> to one of our
    /// requests: the only way a node enters the buckets. See <see cref="AdmitResult"/> for what the engine must do next.
    /// </summary>
    public AdmitResult OnVerifiedReply(NodeId id, PeerAddress address, Instant now, TimeSpan? rtt)
    {
        var invalid = id.IsZero ? RejectReason.ZeroId
            : id == LocalId ? RejectReason.LocalId
            : address.IsUnspecified ? RejectReason.InvalidAddress
            : RejectReason.None;
        if (invalid != RejectReason.None)
        {
            return AdmitResult.Rejected(invalid);
        }

        var index = BucketIndexOf(id);
        var bucket = GetBucket(index);
        var position = bucket?.IndexOf(id) ?? -1;
        return position >= 0
            ? UpdateExisting(bucket!, position, address, now, rtt)
            : AdmitNew(bucket, index, id, address, now, rtt);
    }

    /// <summary>
    /// Records that a request to <paramref name="id"/> failed (timed out). Once the contact reaches
    /// <see cref="RoutingOptions.MaxFailuresBeforeEviction"/> failures it is evicted for the most recent replacement
    /// that fits the subnet limits; without one it stays, marked stale. A failing replacement is dropped from the cache.
    /// </summary>
    /// <returns>True when the contact was evicted.</returns>
    public bool OnRequestFailed(NodeId id, Instant now)
    {
        _ = now; // Failure times are not tracked yet; kept so the engine's calls need not change when they are.
        var bucket = id.IsZero || id == LocalId ? null : GetBucket(BucketIndexOf(id));
        if (bucket is null)
        {
            return false;
        }

        var position = bucket.IndexOf(id);
        if (position < 0)
        {
            var replacement = bucket.IndexOfReplacement(id);
            if (replacement >= 0)
            {
                bucket.RemoveReplacementAt(replacement);
            }

            return false;
        }

        var contact = bucket[position];
        if (contact.FailedRequests < int.MaxValue)
        {
            contact.FailedRequests++;
        }

        if (contact.FailedRequests < _options.MaxFailuresBeforeEviction)
        {
            return false;
        }

        var promoted = PickReplacement(bucket, contact);
        if (promoted < 0)
        {
            return false;
        }

        bucket.RemoveAt(position);
        PromoteReplacement(bucket, promoted);
        return true;
    }

    /// <summary>
    /// For unsolicited traffic: true when <paramref name="id"/> is not in the buckets and its bucket has room or a
    /// stale contact, so the engine may PING it and feed the reply to <see cref="OnVerifiedReply"/>.
    /// </summary>
    public bool ShouldVerify(NodeId id)
    {
        if (id.IsZero || id == LocalId)
        {
            return false;
        }

        var bucket = GetBucket(BucketIndexOf(id));
        return bucket is null || (bucket.IndexOf(id) < 0 && (bucket.Count < _options.K || bucket.HasStale()));
    }

    /// <summary>Finds a contact in the buckets (not in the replacement caches).</summary>
    public bool TryGet(NodeId id, out Contact contact)
    {
        var bucket = id == LocalId ? null : GetBucket(BucketIndexOf(id));
        var position = bucket?.IndexOf(id) ?? -1;
        contact = position >= 0 ? bucket![position] : null!;
        return position >= 0;
    }

    /// <summary>
    /// Removes <paramref name="id"/> from its bucket (promoting the most recent fitting replacement) or from its
    /// replacement cache.
    /// </summary>
    /// <returns>True when it was found in either.</returns>
    public bool Remove(NodeId id)
    {
        var bucket = id == LocalId ? null : GetBucket(BucketIndexOf(id));
        if (bucket is null)
        {
            return false;
        }

        var position = bucket.IndexOf(id);
        if (position >= 0)
        {
            RemoveAndPromote(bucket, position);
            return true;
        }

        position = bucket.IndexOfReplacement(id);
        if (position >= 0)
        {
            bucket.RemoveReplacementAt(position);
        }

        return position >= 0;
    }

    private AdmitResult UpdateExisting(KBucket bucket, int position, PeerAddress address, Instant now, TimeSpan? rtt)
    {
        var contact = bucket[position];
        if (SubnetKey.Of(contact.Address) != SubnetKey.Of(address))
        {
            var reason = CheckSubnet(address, bucket, contact, checkTable: true);
            if (reason != RejectReason.None)
            {
                // The node moved into a full subnet: its old address is useless, so it leaves the table.
                RemoveAndPromote(bucket, position);
                return AdmitResult.Rejected(reason);
            }
        }

        Refresh(contact, address, now, rtt);
        bucket.MoveToTail(position);
        return AdmitResult.Updated;
    }

    private AdmitResult AdmitNew(KBucket? bucket, int index, NodeId id, PeerAddress address, Instant now, TimeSpan? rtt)
    {
        var full = bucket is not null && bucket.Count >= _options.K;
        var victim = full ? bucket!.IndexOfEvictable(_options.MaxFailuresBeforeEviction) : -1;

        // A node bound for the replacement cache is checked against its bucket only (cheap: this is the common path
        // for replies from far-away nodes); the table-wide limit is checked when a replacement is promoted.
        var toCache = full && victim < 0;
        var reason = CheckSubnet(address, bucket, victim >= 0 ? bucket![victim] : null, checkTable: !toCache);
        if (reason != RejectReason.None)
        {
            return AdmitResult.Rejected(reason);
        }

        bucket ??= CreateBucket(index, now);
        var cached = bucket.IndexOfReplacement(id);
        var contact = cached >= 0 ? bucket.Replacements[cached] : new Contact(id, address, now);
        if (cached >= 0)
        {
            bucket.RemoveReplacementAt(cached);
        }

        Refresh(contact, address, now, rtt);
        if (!toCache)
        {
            var evicted = victim >= 0 ? bucket[victim] : null;
            if (victim >= 0)
            {
                bucket.RemoveAt(victim);
                Count--;
            }

            bucket.Append(contact, _options.K);
            Count++;
            return new AdmitResult(AdmitOutcome.Added, RejectReason.None, null, evicted);
        }

        var oldest = bucket[0];
        var ping = now - oldest.LastSeen >= _options.PingOldestAfter ? oldest : null;
        if (_options.ReplacementCacheSize == 0)
        {
            return AdmitResult.Rejected(RejectReason.BucketFull, ping);
        }

        bucket.AddReplacement(contact, _options.ReplacementCacheSize, _options.MaxContactsPerSubnetPerBucket);
        return new AdmitResult(AdmitOutcome.AddedToReplacementCache, RejectReason.None, ping, null);
    }

    private static void Refresh(Contact contact, PeerAddress address, Instant now, TimeSpan? rtt)
    {
        contact.Address = address;
        contact.LastSeen = Instant.Max(contact.LastSeen, now);
        contact.FailedRequests = 0;
        if (rtt is { } sample)
        {
            contact.Rtt.AddSample(sample);
        }
    }

    private void RemoveAndPromote(KBucket bucket, int position)
    {
        var promoted = PickReplacement(bucket, bucket[position]);
        bucket.RemoveAt(position);
        Count--;
        if (promoted >= 0)
        {
            PromoteReplacement(bucket, promoted);
            Count++;
        }
    }

    /// <summary>The most recent replacement that fits the subnet limits once <paramref name="leaving"/> is gone, or -1.</summary>
    private int PickReplacement(KBucket bucket, Contact leaving)
    {
        for (var i = bucket.ReplacementCount - 1; i >= 0; i--)
        {
            if (CheckSubnet(bucket.Replacements[i].Address, bucket, leaving, checkTable: true) == RejectReason.None)
            {
                return i;
            }
        }

        return -1;
    }

    private void PromoteReplacement(KBucket bucket, int replacementIndex)
    {
        var contact = bucket.Replacements[replacementIndex];
        bucket.RemoveReplacementAt(replacementIndex);
        bucket.InsertByLastSeen(contact, _options.K);
    }

    /// <summary>
    /// Checks the subnet limits for a contact at <paramref name="address"/>, not counting <paramref name="excluding"/>
    /// (which must still be in the table). The table-wide count is only taken when <paramref name="checkTable"/>.
    /// </summary>
    private RejectReason CheckSubnet(PeerAddress address, KBucket? bucket, Contact? excluding, bool checkTable)
    {
        if (SubnetKey.IsLoopback(address))
        {
            return RejectReason.None;
        }

        var key = SubnetKey.Of(address);
        var perBucket = _options.MaxContactsPerSubnetPerBucket;
        if (perBucket > 0 && bucket is not null && CountInSubnet(bucket, key, excluding) >= perBucket)
        {
            return RejectReason.SubnetLimitInBucket;
        }

        var perTable = _options.MaxContactsPerSubnetInTable;
        if (checkTable && perTable > 0 && Count - (excluding is null ? 0 : 1) >= perTable)
        {
            var total = 0;
            foreach (var other in _buckets)
            {
                total += other is null ? 0 : CountInSubnet(other, key, excluding);
            }

            if (total >= perTable)
            {
                return RejectReason.SubnetLimitInTable;
            }
        }

        return RejectReason.None;
    }

    private static int CountInSubnet(KBucket bucket, SubnetKey key, Contact? excluding)
    {
        var n = 0;
        foreach (var contact in bucket.Contacts)
        {
            n += contact != excluding && SubnetKey.Of(contact.Address) == key ? 1 : 0;
        }

        return n;
    }

    private KBucket? GetBucket(int index) => index < _buckets.Length ? _buckets[index] : null;

    private KBucket CreateBucket(int index, Instant now)
    {
        if (index >= _buckets.Length)
        {
            Array.Resize(ref _buckets, index + 1);
        }

        return _buckets[index] ??= new KBucket(now);
    }
}
