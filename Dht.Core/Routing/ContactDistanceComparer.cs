namespace Dht.Routing;

/// <summary>Orders contacts by XOR distance of their ids to a target, closest first (ids are unique, so no ties).</summary>
internal readonly struct ContactDistanceComparer(NodeId target) : IComparer<Contact>
{
    public int Compare(Contact x, Contact y) => NodeId.CompareDistance(x.Id, y.Id, target);
}
