namespace Dht.Routing;

/// <summary>Why <see cref="RoutingTable.OnVerifiedReply"/> did not keep a node.</summary>
internal enum RejectReason
{
    /// <summary>Not rejected.</summary>
    None,

    /// <summary>The id is the local node's own id.</summary>
    LocalId,

    /// <summary>The id is all zeros.</summary>
    ZeroId,

    /// <summary>The address is unspecified (any-address or port 0).</summary>
    InvalidAddress,

    /// <summary>The bucket already holds <see cref="RoutingOptions.MaxContactsPerSubnetPerBucket"/> contacts of that subnet.</summary>
    SubnetLimitInBucket,

    /// <summary>The table already holds <see cref="RoutingOptions.MaxContactsPerSubnetInTable"/> contacts of that subnet.</summary>
    SubnetLimitInTable,

    /// <summary>The bucket is full and the replacement cache is disabled.</summary>
    BucketFull,
}
