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

/// <summary>An event on the queue. Datagrams carry a pooled buffer returned after delivery.</summary>
internal readonly record struct SimEvent(SimEventKind Kind, int Node, int From = -1, byte[]? Data = null, int Length = 0, int Extra = 0);
