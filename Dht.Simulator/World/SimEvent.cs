namespace Dht.Simulator.World;

internal enum SimEventKind : byte
{
    Deliver,
    Wake,
    Join,
    Crash,
    Restart,
    Workload,
    Interval,
    KillDead,
    Rebootstrap,
}

/// <summary>
/// An event on the queue. A datagram's bytes live in the world's <see cref="DatagramSlab"/>; the event holds only the
/// slab handle (-1 for none) and the length, so the queue's large backing array holds no object references and garbage
/// collections never have to scan it.
/// </summary>
internal readonly record struct SimEvent(SimEventKind Kind, int Node, int From = -1, int Buffer = -1, int Length = 0, int Extra = 0);
