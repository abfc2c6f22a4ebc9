namespace Dht.Routing;

/// <summary>
/// The result of <see cref="RoutingTable.OnVerifiedReply"/>.
/// </summary>
/// <param name="Outcome">What happened to the node.</param>
/// <param name="Reason">Why it was rejected (<see cref="RejectReason.None"/> unless <see cref="AdmitOutcome.Rejected"/>).</param>
/// <param name="PingCandidate">
/// When not null, the engine should PING this contact (ping-before-evict): its bucket is full and it has not been seen
/// for <see cref="RoutingOptions.PingOldestAfter"/>. A reply goes to <see cref="RoutingTable.OnVerifiedReply"/>
/// (the contact stays), a timeout to <see cref="RoutingTable.OnRequestFailed"/> (evicted for a replacement once it
/// reaches <see cref="RoutingOptions.MaxFailuresBeforeEviction"/>).
/// </param>
/// <param name="Evicted">A contact that had failed too often and was evicted to make room for this node, if any.</param>
internal readonly record struct AdmitResult(AdmitOutcome Outcome, RejectReason Reason, Contact? PingCandidate, Contact? Evicted)
{
    public static AdmitResult Added => new(AdmitOutcome.Added, RejectReason.None, null, null);

    public static AdmitResult Updated => new(AdmitOutcome.Updated, RejectReason.None, null, null);

    public static AdmitResult Rejected(RejectReason reason, Contact? pingCandidate = null) =>
        new(AdmitOutcome.Rejected, reason, pingCandidate, null);
}
