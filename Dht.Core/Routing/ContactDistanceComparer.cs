namespace Dht.Routing;

/// <summary>Orders contacts by XOR distance of their ids to a target, closest first (ids are unique, so no ties).</summary>
internal readonly struct ContactDistanceComparer(NodeId target) : IComparer<Contact>
{
    public int Compare(Contact? x, Contact? y) =>
        x is null || y is null
            ? (x is null ? 0 : 1) - (y is null ? 0 : 1)
            : NodeId.CompareDistance(x.Id, y.Id, target);
}
