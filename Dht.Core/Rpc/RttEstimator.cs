namespace Dht.Rpc;

/// <summary>
/// Round-trip-time estimator from RFC 6298: SRTT and RTTVAR with alpha = 1/8 and beta = 1/4, clock granularity 1 ms.
/// A mutable value type of 8 bytes: keep it in a field (a routing-table entry holds one per contact) and update it by
/// reference.
/// </summary>
/// <remarks>
/// SRTT and RTTVAR are kept in whole microseconds as <see cref="uint"/>: samples are truncated to microseconds and
/// clamped to [0, <see cref="MaxSample"/>] (3.6e9 us, below <see cref="uint.MaxValue"/>), and neither estimate can
/// exceed the largest sample. The SRTT field stores SRTT + 1, so 0 means "no sample yet" without a flag (a 0 us
/// sample still counts). Intermediate products are computed in 64 bits.
/// </remarks>
internal struct RttEstimator
{
    /// <summary>The largest sample taken into account; longer samples count as this.</summary>
    public static readonly TimeSpan MaxSample = TimeSpan.FromHours(1);

    /// <summary>The clock granularity G of RFC 6298.</summary>
    public static readonly TimeSpan Granularity = TimeSpan.FromMilliseconds(1);

    private const long TicksPerMicrosecond = TimeSpan.TicksPerMicrosecond;

    /// <summary><see cref="Granularity"/> in microseconds.</summary>
    private const long GranularityMicroseconds = 1_000;

    /// <summary>SRTT in microseconds plus one; 0 before the first sample.</summary>
    private uint _srttPlusOne;

    /// <summary>RTTVAR in microseconds.</summary>
    private uint _rttVar;

    /// <summary>True once at least one sample was added.</summary>
    public readonly bool HasSamples => _srttPlusOne != 0;

    /// <summary>The smoothed round-trip time, to the microsecond (zero before the first sample).</summary>
    public readonly TimeSpan Srtt => new(SrttMicroseconds * TicksPerMicrosecond);

    /// <summary>The round-trip-time variation, to the microsecond (zero before the first sample).</summary>
    public readonly TimeSpan RttVar => new(_rttVar * TicksPerMicrosecond);

    private readonly long SrttMicroseconds => _srttPlusOne == 0 ? 0 : _srttPlusOne - 1L;

    /// <summary>Adds a measured round-trip time (RFC 6298 section 2.2 and 2.3).</summary>
    public void AddSample(TimeSpan rtt)
    {
        var r = Math.Clamp(rtt.Ticks, 0, MaxSample.Ticks) / TicksPerMicrosecond;
        if (!HasSamples)
        {
            _srttPlusOne = (uint)(r + 1);
            _rttVar = (uint)(r / 2);
            return;
        }

        // RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|, then SRTT <- (1 - alpha) * SRTT + alpha * R'.
        // Both stay within [0, MaxSample] (weighted means of values in that range), so they fit their uint fields.
        var srtt = SrttMicroseconds;
        var error = Math.Abs(srtt - r);
        _rttVar = (uint)(((3L * _rttVar) + error) / 4);
        _srttPlusOne = (uint)((((7 * srtt) + r) / 8) + 1);
    }

    /// <summary>
    /// The retransmission timeout: <paramref name="initial"/> before any sample, otherwise
    /// SRTT + max(G, 4 * RTTVAR) clamped to [<paramref name="min"/>, <paramref name="max"/>].
    /// </summary>
    public readonly TimeSpan RetransmitTimeout(TimeSpan min, TimeSpan max, TimeSpan initial)
    {
        if (min > max)
        {
            throw new ArgumentOutOfRangeException(nameof(min), min, $"The minimum timeout exceeds the maximum ({max}).");
        }

        if (!HasSamples)
        {
            return initial;
        }

        var rto = SrttMicroseconds + Math.Max(GranularityMicroseconds, 4L * _rttVar);
        return new TimeSpan(Math.Clamp(rto * TicksPerMicrosecond, min.Ticks, max.Ticks));
    }
}
