namespace Dht.Routing;

/// <summary>What <see cref="RoutingTable.OnVerifiedReply"/> did with a node.</summary>
internal enum AdmitOutcome
{
    /// <summary>The node was new and entered its bucket.</summary>
    Added,

    /// <summary>The node was already in its bucket: moved to the tail, failures reset, address and RTT updated.</summary>
    Updated,

    /// <summary>The bucket was full: the node was kept in the bucket's replacement cache.</summary>
    AddedToReplacementCache,

    /// <summary>The node was not kept; see <see cref="AdmitResult.Reason"/>.</summary>
    Rejected,
}
