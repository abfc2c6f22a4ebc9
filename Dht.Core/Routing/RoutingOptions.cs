namespace Dht.Routing;

/// <summary>
/// Tuning of the routing table. One instance may be shared by many tables (the simulator does); do not change it
/// after a table was built with it. Call <see cref="Validate"/> (the table's constructor does) before use.
/// </summary>
internal sealed class RoutingOptions
{
    /// <summary>The largest allowed <see cref="K"/>.</summary>
    public const int MaxK = 256;

    /// <summary>The largest allowed <see cref="ReplacementCacheSize"/>.</summary>
    public const int MaxReplacementCacheSize = 256;

    /// <summary>The largest allowed <see cref="MaxFailuresBeforeEviction"/>.</summary>
    public const int MaxFailuresLimit = 100;

    /// <summary>Bucket size: the most contacts a bucket holds (1 to 256).</summary>
    public int K { get; set; } = 20;

    /// <summary>Verified contacts kept per bucket as replacements when the bucket is full (0 to 256; 0 disables).</summary>
    public int ReplacementCacheSize { get; set; } = 10;

    /// <summary>
    /// Consecutive failed requests after which a contact is evicted, provided its bucket has a replacement (1 to 100).
    /// </summary>
    public int MaxFailuresBeforeEviction { get; set; } = 2;

    /// <summary>
    /// Ping-before-evict threshold: when a verified newcomer finds its bucket full and the bucket's least-recently-seen
    /// contact has not been seen for at least this long, the table asks the engine to PING that contact.
    /// Zero asks every time the bucket is full. Must not be negative.
    /// </summary>
    public TimeSpan PingOldestAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A non-empty bucket with no lookup into its range and no authenticated traffic from it for this long, plus a random
    /// share of up to half of it (so refreshes do not synchronise), gets a refresh lookup (positive).
    /// </summary>
    public TimeSpan BucketRefreshInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Most contacts of one subnet (IPv4 /24, IPv6 /64) in one bucket; loopback is exempt. 0 = unlimited.
    /// </summary>
    public int MaxContactsPerSubnetPerBucket { get; set; } = 2;

    /// <summary>
    /// Most contacts of one subnet (IPv4 /24, IPv6 /64) in the whole table; loopback is exempt. 0 = unlimited.
    /// </summary>
    public int MaxContactsPerSubnetInTable { get; set; } = 10;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option with a bad value.</summary>
    /// <summary>
    /// Accelerated lookups (Kademlia paper, section 4.2): each bucket is split into 2^b sub-buckets of up to
    /// <see cref="K"/> contacts by the b bits that follow the first bit in which a contact differs from the local id.
    /// Every hop then gains about b more bits toward the target, at the cost of up to 2^b times the contacts (in
    /// practice about 1 + b/2 times, as only the buckets near the local id are full). 0 (the default) is classic
    /// Kademlia.
    /// </summary>
    public int BucketSplitBits { get; set; }

    public void Validate()
    {
        Check(K is >= 1 and <= MaxK, nameof(K), K, KRule);
        Check(BucketSplitBits is >= 0 and <= 3, nameof(BucketSplitBits), BucketSplitBits, "must be in 0..3");
        Check(
            ReplacementCacheSize is >= 0 and <= MaxReplacementCacheSize,
            nameof(ReplacementCacheSize),
            ReplacementCacheSize,
            ReplacementCacheRule);
        Check(
            MaxFailuresBeforeEviction is >= 1 and <= MaxFailuresLimit,
            nameof(MaxFailuresBeforeEviction),
            MaxFailuresBeforeEviction,
            MaxFailuresRule);
        Check(PingOldestAfter >= TimeSpan.Zero, nameof(PingOldestAfter), PingOldestAfter, "must not be negative");
        Check(BucketRefreshInterval > TimeSpan.Zero, nameof(BucketRefreshInterval), BucketRefreshInterval, "must be positive");
        Check(
            MaxContactsPerSubnetPerBucket >= 0,
            nameof(MaxContactsPerSubnetPerBucket),
            MaxContactsPerSubnetPerBucket,
            "must not be negative (0 = unlimited)");
        Check(
            MaxContactsPerSubnetInTable >= 0,
            nameof(MaxContactsPerSubnetInTable),
            MaxContactsPerSubnetInTable,
            "must not be negative (0 = unlimited)");
    }

    // The rules that name a bound, formatted once: Validate runs for every table created (the simulator creates up to a
    // million), and a valid option must cost no allocation (nor its value a box: Check is generic).
    private static readonly string KRule = $"must be in 1..{MaxK}";
    private static readonly string ReplacementCacheRule = $"must be in 0..{MaxReplacementCacheSize}";
    private static readonly string MaxFailuresRule = $"must be in 1..{MaxFailuresLimit}";

    private static void Check<T>(bool valid, string name, T value, string rule)
    {
        if (!valid)
        {
#pragma warning disable CA2208 // The option's name is the meaningful "parameter" here.
            throw new ArgumentOutOfRangeException(name, value, $"RoutingOptions.{name} {rule}; got {value}.");
#pragma warning restore CA2208
        }
    }
}
