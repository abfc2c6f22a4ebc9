namespace Dht.Protocol;

/// <summary>Every tunable and every bound of the engine, with defaults. The public <see cref="DhtNodeOptions"/> maps onto it.</summary>
internal sealed class EngineOptions
{
    public int K { get; set; } = 20;

    public int Alpha { get; set; } = 3;

    public int MaxValueSize { get; set; } = 1000;

    public TimeSpan RecordTtl { get; set; } = TimeSpan.FromHours(2);

    public TimeSpan RepublishInterval { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan ReplicationInterval { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan InitialRequestTimeout { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MinRequestTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxRequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan TokenRotation { get; set; } = TimeSpan.FromMinutes(5);

    public int MaxPendingRequests { get; set; } = 4096;

    public int MaxSessions { get; set; } = 4096;

    public int ReplayWindow { get; set; } = 32;

    /// <summary>
    /// A session unused for this long is dropped on the next maintenance tick (its key is derived again when the peer
    /// comes back). The default, 10 min, is the longest a peer's address token can stay valid (2 x TokenRotation), so
    /// a session is never dropped while the token it holds could still be used.
    /// </summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    public int MaxConcurrentOperations { get; set; } = 512;

    public int MaxTransmitQueue { get; set; } = 8192;

    public int MaxLookupCandidates { get; set; } = 200;

    public int MaxVerificationsInFlight { get; set; } = 64;

    public int MaxMaintenanceOperations { get; set; } = 16;

    /// <summary>New inbound sessions (X25519 agreements for unknown senders) allowed per second, as a token bucket of this depth.</summary>
    public int NewSessionsPerSecond { get; set; } = 500;

    /// <summary>How many of the closest nodes a PUT stores on (default and at most K; fewer weakens replication).</summary>
    public int? StoreFanout { get; set; }

    /// <summary>
    /// Optimistic PUT: null (default) reports a PUT when every STORE has answered. A number makes the PUT store to each
    /// node that answers the lookup from within the estimated k-closest distance at once, and report as soon as that
    /// many STOREs were acknowledged; the rest of the PUT continues in the background.
    /// </summary>
    public int? PutReturnQuorum { get; set; }

    /// <summary>
    /// Extra requests a GET or an optimistic PUT may have in flight, beyond <see cref="Alpha"/>, to candidates estimated
    /// to be among the k closest to the key (within this node's own k-closest distance). Any of them answering ends a GET
    /// or takes a STORE, so asking several at once makes the last hop cost the fastest of their round trips instead of
    /// the first one asked. 0 turns it off.
    /// </summary>
    public int NearKeyParallelism { get; set; } = 3;

    /// <summary>
    /// Called with the candidate list of every lookup operation (<c>StartLookup</c>) as it finishes, just before its
    /// completion event is queued (simulator metrics; null, the default, in production). GETs, PUTs and bootstraps never
    /// call it. The list is the lookup's own array, valid only during the call: a sink that keeps anything copies it.
    /// </summary>
    public LookupDetailsSink? LookupDetails { get; set; }

    public Records.RecordStoreLimits StoreLimits { get; set; } = new();

    public Routing.RoutingOptions Routing { get; set; } = new();

    public void Validate()
    {
        Check(K is >= 1 and <= 64, nameof(K), K, "must be between 1 and 64");
        Check(Alpha is >= 1 and <= 16, nameof(Alpha), Alpha, "must be between 1 and 16");
        Check(MaxValueSize is >= 1 && MaxValueSize <= Wire.WireConstants.MaxValueSize, nameof(MaxValueSize), MaxValueSize,
            MaxValueSizeRule);
        Check(RecordTtl >= TimeSpan.FromSeconds(10) && RecordTtl <= TimeSpan.FromDays(7), nameof(RecordTtl), RecordTtl, "must be between 10 s and 7 days");
        Check(RepublishInterval > TimeSpan.Zero && RepublishInterval < RecordTtl, nameof(RepublishInterval), RepublishInterval, "must be positive and shorter than RecordTtl");
        Check(ReplicationInterval > TimeSpan.Zero, nameof(ReplicationInterval), ReplicationInterval, "must be positive");
        Check(MaintenanceInterval > TimeSpan.Zero, nameof(MaintenanceInterval), MaintenanceInterval, "must be positive");
        Check(MinRequestTimeout > TimeSpan.Zero && MinRequestTimeout <= MaxRequestTimeout, nameof(MinRequestTimeout), MinRequestTimeout, "must be positive and at most MaxRequestTimeout");
        Check(InitialRequestTimeout >= MinRequestTimeout && InitialRequestTimeout <= MaxRequestTimeout, nameof(InitialRequestTimeout), InitialRequestTimeout, "must lie between MinRequestTimeout and MaxRequestTimeout");
        Check(OperationTimeout > MaxRequestTimeout, nameof(OperationTimeout), OperationTimeout, "must be longer than MaxRequestTimeout");
        Check(TokenRotation > TimeSpan.Zero, nameof(TokenRotation), TokenRotation, "must be positive");
        Check(MaxPendingRequests >= 16, nameof(MaxPendingRequests), MaxPendingRequests, "must be at least 16");
        Check(MaxSessions is >= 16 and <= Security.SessionCache.MaxCapacity, nameof(MaxSessions), MaxSessions, MaxSessionsRule);
        Check(ReplayWindow is >= 1 and <= 1024, nameof(ReplayWindow), ReplayWindow, "must be between 1 and 1024");
        Check(SessionIdleTimeout >= TimeSpan.FromSeconds(1), nameof(SessionIdleTimeout), SessionIdleTimeout, "must be at least 1 s");
        Check(MaxConcurrentOperations >= 1, nameof(MaxConcurrentOperations), MaxConcurrentOperations, "must be at least 1");
        Check(MaxTransmitQueue >= 64, nameof(MaxTransmitQueue), MaxTransmitQueue, "must be at least 64");
        Check(MaxLookupCandidates >= K, nameof(MaxLookupCandidates), MaxLookupCandidates, "must be at least K");
        Check(MaxVerificationsInFlight >= 0, nameof(MaxVerificationsInFlight), MaxVerificationsInFlight, "must not be negative");
        Check(MaxMaintenanceOperations >= 1, nameof(MaxMaintenanceOperations), MaxMaintenanceOperations, "must be at least 1");
        Check(NewSessionsPerSecond >= 1, nameof(NewSessionsPerSecond), NewSessionsPerSecond, "must be at least 1");
        Check(StoreFanout is null or (>= 1 and <= 64) && (StoreFanout ?? K) <= K, nameof(StoreFanout), StoreFanout ?? K, "must be between 1 and K");
        Check(PutReturnQuorum is null or (>= 1 and <= 64) && (PutReturnQuorum ?? 1) <= K, nameof(PutReturnQuorum), PutReturnQuorum ?? 0, "must be between 1 and K");
        Check(NearKeyParallelism is >= 0 and <= 16, nameof(NearKeyParallelism), NearKeyParallelism, "must be between 0 and 16");
        StoreLimits.Validate();
        Routing.Validate();
    }

    // The rules that name a bound, formatted once: Validate runs for every engine created (the simulator creates up to
    // a million), and a valid option must cost no allocation (nor its value a box: Check is generic).
    private static readonly string MaxValueSizeRule =
        $"must be between 1 and {Wire.WireConstants.MaxValueSize} (what one 1280-byte datagram can carry)";

    private static readonly string MaxSessionsRule = $"must be between 16 and {Security.SessionCache.MaxCapacity}";

    private static void Check<T>(bool ok, string name, T value, string rule)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}; got {value}.");
        }
    }
}
