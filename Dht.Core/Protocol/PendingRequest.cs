using Dht.Wire;

namespace Dht.Protocol;

/// <summary>A request in flight, matched by (request id, peer id, address).</summary>
/// <remarks>
/// Reused: <see cref="Rent"/> takes one from a per-thread pool and the engine gives it back with <see cref="Return"/>
/// once the request is answered, failed or retried (nothing keeps a reference past that point). A request is the
/// engine's most frequent allocation after lookup candidates: in a 100k-node steady-state simulation these objects were
/// a quarter of all bytes allocated, each living exactly as long as its request, so many were in flight at every young
/// collection and were promoted to die later in the old generation. The pool holds at most
/// <see cref="MaxPooled"/> per thread; an engine is used by one thread at a time, so a per-thread pool needs no lock.
/// </remarks>
internal sealed class PendingRequest
{
    /// <summary>The most free objects a thread keeps (about 0.5 MB).</summary>
    internal const int MaxPooled = 4096;

    [ThreadStatic]
    private static Stack<PendingRequest>? _pool;

    [ThreadStatic]
    private static long _created;

    private PendingRequest() => _created++;

    public ulong RequestId { get; set; }

    public NodeId Peer { get; set; }

    public PeerAddress Address { get; set; }

    /// <summary>
    /// The message sent. For a PING or a lookup request it is the sending thread's shared message, set for other
    /// requests since: a retry rebuilds those (DhtEngine's <c>PingRequest</c> and <c>LookupRequestFor</c>) and reads
    /// this only for a STORE, whose message is its own.
    /// </summary>
    public Message Request { get; set; } = null!;

    /// <summary><see cref="Request"/>'s type, kept here so matching a response reads this object only.</summary>
    public MessageType RequestType { get; set; }

    public RequestPurpose Purpose { get; set; }

    public Instant SentAt { get; set; }

    public Operation? Operation { get; set; }

    /// <summary>
    /// The lookup of <see cref="Operation"/> (null without one), kept here too so that an answer can hint it together
    /// with the operation: reached through the operation, it is one more miss after that one.
    /// </summary>
    public Lookup.IterativeLookup? Lookup { get; set; }

    /// <summary>True for the one retry after an ERROR that carried a fresh token.</summary>
    public bool Retried { get; set; }

    /// <summary>NODES parts received so far, when the answer spans several datagrams.</summary>
    public List<WireContact>? Parts { get; set; }

    public int PartsReceived { get; set; }

    /// <summary>Free objects in this thread's pool (for tests).</summary>
    internal static int Pooled => _pool?.Count ?? 0;

    /// <summary>Objects created on this thread, pooled or not (for tests: reuse keeps it near the peak in flight).</summary>
    internal static long Created => _created;

    /// <summary>A cleared request object, from this thread's pool when it has one.</summary>
    public static PendingRequest Rent() => _pool is { Count: > 0 } pool ? pool.Pop() : new PendingRequest();

    /// <summary>
    /// Gives <paramref name="request"/> back to this thread's pool, cleared (it drops its references to the message,
    /// the operation and the NODES parts). The caller must hold no reference to it afterwards.
    /// </summary>
    public static void Return(PendingRequest request)
    {
        request.RequestId = 0;
        request.Peer = default;
        request.Address = default;
        request.Request = null!;
        request.RequestType = default;
        request.Purpose = default;
        request.SentAt = default;
        request.Operation = null;
        request.Lookup = null;
        request.Retried = false;
        request.Parts = null;
        request.PartsReceived = 0;
        var pool = _pool ??= new Stack<PendingRequest>();
        if (pool.Count < MaxPooled)
        {
            pool.Push(request);
        }
    }
}
