namespace Dht.Protocol;

/// <summary>
/// When each key is next due (the engine's republish and re-replication schedules), with a lower bound on the earliest
/// due time kept beside the dictionary, so that a maintenance tick with nothing due reads neither the dictionary nor
/// its entries: at 10^5 engines each is a cache miss, and every engine ticks.
/// </summary>
/// <remarks>
/// A mutable struct held inline in the engine (never copy it). The dictionary is created on the first key, and dropped
/// again by <see cref="TrimIfEmpty"/>. The bound only ever errs low: <see cref="Set"/> lowers it, removing a key leaves
/// it, and <see cref="DueKeys"/>, the only scan, sets it to the earliest time of every key, the due ones included (a due
/// key the caller leaves as it is stays due). So a scan skipped because the bound is in the future would have found
/// nothing due.
/// </remarks>
internal struct DueSchedule
{
    /// <summary>The empty result of <see cref="DueKeys"/>; never modified.</summary>
    private static readonly List<NodeId> NothingDue = [];

    private Dictionary<NodeId, Instant>? _dueAt;
    private Instant _noneBefore;

    /// <summary>An empty schedule.</summary>
    public DueSchedule()
    {
        _noneBefore = Instant.MaxValue;
    }

    /// <summary>Keys scheduled.</summary>
    public readonly int Count => _dueAt?.Count ?? 0;

    /// <summary>Before this instant <see cref="DueKeys"/> finds nothing due and reads nothing.</summary>
    public readonly Instant NoneDueBefore => _dueAt is null ? Instant.MaxValue : _noneBefore;

    /// <summary>True when <paramref name="key"/> has a due time.</summary>
    public readonly bool Contains(NodeId key) => _dueAt?.ContainsKey(key) == true;

    /// <summary>Schedules <paramref name="key"/> at <paramref name="at"/> (replacing its earlier time).</summary>
    public void Set(NodeId key, Instant at)
    {
        (_dueAt ??= [])[key] = at;
        _noneBefore = Instant.Min(_noneBefore, at);
    }

    /// <summary>Drops <paramref name="key"/> from the schedule.</summary>
    public readonly void Remove(NodeId key) => _dueAt?.Remove(key);

    /// <summary>
    /// The keys due at <paramref name="now"/>, in key order (never hash order), in a new list; when nothing is due, a
    /// shared empty list (never modify it), and when the bound says nothing can be due, without reading the dictionary.
    /// </summary>
    public List<NodeId> DueKeys(Instant now)
    {
        if (now < _noneBefore || _dueAt is null)
        {
            return NothingDue;
        }

        List<NodeId>? due = null;
        var earliest = Instant.MaxValue;
        foreach (var (key, at) in _dueAt)
        {
            earliest = Instant.Min(earliest, at);
            if (at <= now)
            {
                (due ??= []).Add(key);
            }
        }

        _noneBefore = earliest;
        if (due is null)
        {
            return NothingDue;
        }

        due.Sort();
        return due;
    }

    /// <summary>Lets the dictionary go once it is empty (engines that stored a record once need not keep one).</summary>
    public void TrimIfEmpty()
    {
        if (_dueAt is { Count: 0 })
        {
            _dueAt = null;
        }
    }
}
