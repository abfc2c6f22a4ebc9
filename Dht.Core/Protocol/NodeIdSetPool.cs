namespace Dht.Protocol;

/// <summary>
/// Empty <see cref="HashSet{T}"/>s of node ids kept for reuse, per thread. The engine creates its verification and
/// eviction-check sets on first use and drops them on the tick that finds them empty (an idle engine then holds none),
/// so a busy engine made and dropped a set, with its two arrays, every few seconds: in the simulator's
/// <c>steady-100k</c> at 10^5 nodes, about a seventh of the bytes the event loop allocated. A dropped set now comes
/// here, and the next engine on the same thread that needs one takes it.
/// </summary>
/// <remarks>
/// Bounded: at most <see cref="MaxPooled"/> sets per thread, each of at most <see cref="MaxPooledCapacity"/> entries
/// (a set that grew larger is left to the collector). A set's order of enumeration after <see cref="HashSet{T}.Clear"/>
/// is that of a new set, and the engine only looks these sets up, so reuse changes nothing it does.
/// </remarks>
internal static class NodeIdSetPool
{
    /// <summary>Sets kept per thread.</summary>
    internal const int MaxPooled = 64;

    /// <summary>The largest capacity a set may have to be kept.</summary>
    internal const int MaxPooledCapacity = 64;

    [ThreadStatic]
    private static Stack<HashSet<NodeId>>? _sets;

    /// <summary>Sets kept on this thread (for tests).</summary>
    internal static int Pooled => _sets?.Count ?? 0;

    /// <summary>An empty set: one kept on this thread, or a new one.</summary>
    public static HashSet<NodeId> Rent() => _sets is { Count: > 0 } sets ? sets.Pop() : [];

    /// <summary>Empties <paramref name="set"/> and keeps it for the next <see cref="Rent"/> on this thread, if there is room.</summary>
    public static void Return(HashSet<NodeId> set)
    {
        set.Clear();
        if (set.EnsureCapacity(0) > MaxPooledCapacity)
        {
            return;
        }

        var sets = _sets ??= new Stack<HashSet<NodeId>>(MaxPooled);
        if (sets.Count < MaxPooled)
        {
            sets.Push(set);
        }
    }
}
