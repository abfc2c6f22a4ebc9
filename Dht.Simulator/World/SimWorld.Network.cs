using System.Globalization;
using Dht.Protocol;

namespace Dht.Simulator.World;

internal sealed partial class SimWorld
{
    private const double EarthRadiusKm = 6371;

    /// <summary>Light in fibre covers about 200 km per ms; real routes are longer than great circles.</summary>
    private const double FibreKmPerMs = 200;
    private const double RouteInflation = 1.3;

    private double[][]? _rttMatrix;

    /// <summary>Places nodes on the globe (clusters), draws access delays, NAT flags and clock drift, all from the seed.</summary>
    private void PlaceNodes()
    {
        var net = _scenario.Network;
        var centers = new (double Lat, double Lon)[Math.Max(1, net.Clusters)];
        for (var c = 0; c < centers.Length; c++)
        {
            // Uniform on the sphere: latitude from asin of a uniform value.
            centers[c] = (DeterministicMath.Asin((2 * _netRng.NextDouble()) - 1) * 180 / Math.PI, (_netRng.NextDouble() * 360) - 180);
        }

        if (net.Latency == "matrix")
        {
            _rttMatrix = LoadMatrix(net.MatrixFile!);
        }

        foreach (var node in _nodes)
        {
            var (lat, lon) = centers[_netRng.NextInt32(centers.Length)];
            var distance = net.ClusterRadiusKm * Math.Sqrt(_netRng.NextDouble());
            var bearing = _netRng.NextDouble() * 2 * Math.PI;
            node.SetPosition(
                Math.Clamp(lat + (distance / 111.0 * DeterministicMath.Cos(bearing)), -89.9, 89.9),
                lon + (distance / (111.0 * Math.Max(0.1, DeterministicMath.Cos(lat * Math.PI / 180))) * DeterministicMath.Sin(bearing)));
            node.AccessDelayMs = net.AccessDelayMinMs + ((net.AccessDelayMaxMs - net.AccessDelayMinMs) * _netRng.NextDouble());
            node.BehindNat = _netRng.NextDouble() < net.NatFraction;
            if (node.BehindNat)
            {
                node.NatMappings = [];
            }

            node.ClockRate = 1 + ((((2 * _netRng.NextDouble()) - 1) * _scenario.ClockDriftPpm) / 1e6);
        }
    }

    private static double[][] LoadMatrix(string path)
    {
        var rows = File.ReadAllLines(path).Where(l => l.Trim().Length > 0)
            .Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        return rows;
    }

    /// <summary>Degrees to radians, for the latency model's positions.</summary>
    internal const double DegreesToRadians = Math.PI / 180;

    /// <summary>Mean one-way delay between two nodes in ms (before jitter).</summary>
    public double OneWayDelayMs(SimNode a, SimNode b) => OneWayDelayMs(a.Index, b.Index);

    /// <summary>Mean one-way delay between the nodes at indexes <paramref name="a"/> and <paramref name="b"/> in ms (before jitter).</summary>
    private double OneWayDelayMs(int a, int b) => OneWayDelayMs(a, in _net[a], b, in _net[b]);

    /// <summary>
    /// The same delay from the two nodes' network state passed in (<paramref name="from"/> is node <paramref name="a"/>'s,
    /// <paramref name="to"/> node <paramref name="b"/>'s, possibly copies): the warm start reads its contacts' state from
    /// a copy laid out in id order.
    /// </summary>
    private double OneWayDelayMs(int a, in NodeNet from, int b, in NodeNet to)
    {
        var net = _scenario.Network;
        switch (net.Latency)
        {
            case "constant":
                return net.ConstantDelayMs;
            case "matrix":
                var m = _rttMatrix!;
                return m[a % m.Length][b % m.Length] / 2;
            default:
                return from.AccessDelayMs + to.AccessDelayMs + (GreatCircleKm(from, to) * RouteInflation / FibreKmPerMs);
        }
    }

    /// <summary>
    /// Great-circle distance from the chord between the two nodes' points on the unit sphere: the central angle is
    /// 2 asin(chord / 2). Basic operations and <see cref="DeterministicMath.Asin"/> only, so every machine computes the
    /// same delay to the last bit (docs/simulator.md, "Determinism").
    /// </summary>
    private static double GreatCircleKm(in NodeNet a, in NodeNet b)
    {
        var dx = a.X - b.X;
        var dy = a.Y - b.Y;
        var dz = a.Z - b.Z;
        var halfChord = Math.Sqrt((dx * dx) + (dy * dy) + (dz * dz)) / 2;
        return 2 * EarthRadiusKm * DeterministicMath.Asin(Math.Min(1, halfChord));
    }

    /// <summary>Median round-trip time over sampled node pairs (ms): the unit of latencyRtt in the summary.</summary>
    public double MedianRttMs(int samples = 20_000)
    {
        var rng = new Xoshiro256(_scenario.Seed ^ 0x727474UL);
        var values = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            var a = _nodes[rng.NextInt32(_nodes.Count)];
            var b = _nodes[rng.NextInt32(_nodes.Count)];
            values[i] = 2 * OneWayDelayMs(a, b);
        }

        Array.Sort(values);
        return values[samples / 2];
    }

    private void Transmit(int fromIndex, PeerAddress to, int length)
    {
        Accounting.Sent++;
        Accounting.Bytes += length;
        var target = IndexOf(to);
        if (target < 0 || target >= _nodes.Count)
        {
            Accounting.DroppedNoSuchAddress++;
            return;
        }

        if (_net[fromIndex].BehindNat)
        {
            _nodes[fromIndex].NatMappings![target] = _now + Ticks(_scenario.Network.NatMappingSeconds);
        }

        var net = _scenario.Network;
        if (net.Loss > 0 && _netRng.NextDouble() < net.Loss)
        {
            Accounting.DroppedLoss++;
            return;
        }

        if (net.BurstEnter > 0)
        {
            var from = _nodes[fromIndex];
            from.InBurst = from.InBurst ? _netRng.NextDouble() >= net.BurstExit : _netRng.NextDouble() < net.BurstEnter;
            if (from.InBurst && _netRng.NextDouble() < net.BurstLoss)
            {
                Accounting.DroppedBurst++;
                return;
            }
        }

        if (Partitioned(fromIndex, target))
        {
            Accounting.DroppedPartition++;
            return;
        }

        var copies = net.Duplication > 0 && _netRng.NextDouble() < net.Duplication ? 2 : 1;
        Accounting.Duplicated += copies - 1;
        var delay = OneWayDelayMs(fromIndex, target);
        for (var c = 0; c < copies; c++)
        {
            var jitter = net.JitterMs > 0 ? _netRng.NextDouble() * net.JitterMs : 0;
            var buffer = _inFlight.Rent(length);
            _transmitBuffer.AsSpan(0, length).CopyTo(_inFlight.Get(buffer, length));
            var at = _now + Math.Max(1, (long)((delay + jitter) * TimeSpan.TicksPerMillisecond));
            Schedule(at, new SimEvent(SimEventKind.Deliver, target, fromIndex, buffer, length));
        }
    }

    private bool NatAllows(SimNode node, int from) =>
        node.NatMappings!.TryGetValue(from, out var until) && until >= _now;

    /// <summary>True when a partition active now separates the two nodes.</summary>
    private bool Partitioned(int a, int b)
    {
        var partitions = _scenario.Network.Partitions;
        for (var p = 0; p < partitions.Count; p++)
        {
            var part = partitions[p];
            if (_now >= Ticks(part.StartSeconds) && _now < Ticks(part.EndSeconds) && Side(a, p, part.Fraction) != Side(b, p, part.Fraction))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A node's side of partition <paramref name="p"/>: a seeded hash of (seed, partition, node).</summary>
    private bool Side(int node, int p, double fraction)
    {
        var x = _scenario.Seed ^ ((ulong)p * 0x9E3779B97F4A7C15UL) ^ ((ulong)node * 0xBF58476D1CE4E5B9UL);
        x ^= x >> 31;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 29;
        return (x >> 11) * (1.0 / (1UL << 53)) < fraction;
    }
}
