namespace Dht.Rpc;

/// <summary>
/// Round-trip-time estimator from RFC 6298: SRTT and RTTVAR with alpha = 1/8 and beta = 1/4, clock granularity 1 ms.
/// A mutable value type of 4 bytes: keep it in a field (a routing-table entry holds one per contact) and update it by
/// reference.
/// </summary>
/// <remarks>
/// SRTT and RTTVAR are kept in units of <see cref="Resolution"/> (100 us, a tenth of the clock granularity) as
/// <see cref="ushort"/>: samples are rounded to the nearest unit and clamped to [0, <see cref="MaxSample"/>] (6.5 s,
/// longer than the default maximum request timeout of 5 s, so with the default no reply that arrives in time is cut),
/// and neither estimate can exceed the largest sample. The SRTT update rounds to the nearest unit, so under steady
/// samples it settles within 4 units (0.4 ms) of them from either side, where truncation would leave it up to 7 units
/// below; the RTTVAR update truncates, so it decays to 0. The SRTT field stores SRTT + 1, so 0 means "no sample yet"
/// without a flag (a 0 sample still counts). Intermediate values are computed in 64 bits.
/// </remarks>
internal struct RttEstimator
{
    /// <summary>The largest sample taken into account; longer samples count as this.</summary>
    public static readonly TimeSpan MaxSample = TimeSpan.FromTicks(MaxUnits * TicksPerUnit);

    /// <summary>The clock granularity G of RFC 6298.</summary>
    public static readonly TimeSpan Granularity = TimeSpan.FromMilliseconds(1);

    /// <summary>The unit SRTT and RTTVAR are kept in.</summary>
    public static readonly TimeSpan Resolution = TimeSpan.FromTicks(TicksPerUnit);

    private const long TicksPerUnit = 100 * TimeSpan.TicksPerMicrosecond;

    /// <summary><see cref="Granularity"/> in units.</summary>
    private const long GranularityUnits = 10;

    /// <summary><see cref="MaxSample"/> in units (below <see cref="ushort.MaxValue"/>, so SRTT + 1 fits).</summary>
    private const long MaxUnits = 65_000;

    /// <summary>SRTT in units plus one; 0 before the first sample.</summary>
    private ushort _srttPlusOne;

    /// <summary>RTTVAR in units.</summary>
    private ushort _rttVar;

    /// <summary>True once at least one sample was added.</summary>
    public readonly bool HasSamples => _srttPlusOne != 0;

    /// <summary>The smoothed round-trip time, to <see cref="Resolution"/> (zero before the first sample).</summary>
    public readonly TimeSpan Srtt => new(SrttUnits * TicksPerUnit);

    /// <summary>The round-trip-time variation, to <see cref="Resolution"/> (zero before the first sample).</summary>
    public readonly TimeSpan RttVar => new(_rttVar * TicksPerUnit);

    private readonly long SrttUnits => _srttPlusOne == 0 ? 0 : _srttPlusOne - 1L;

    /// <summary>Adds a measured round-trip time (RFC 6298 section 2.2 and 2.3).</summary>
    public void AddSample(TimeSpan rtt)
    {
        var r = (Math.Clamp(rtt.Ticks, 0, MaxUnits * TicksPerUnit) + (TicksPerUnit / 2)) / TicksPerUnit;
        if (!HasSamples)
        {
            _srttPlusOne = (ushort)(r + 1);
            _rttVar = (ushort)(r / 2);
            return;
        }

        // RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'| (truncated, so it decays to 0 under steady samples), then
        // SRTT <- (1 - alpha) * SRTT + alpha * R' (rounded to the nearest unit, so it does not sink below steady samples).
        // Both stay within [0, MaxUnits] (weighted means of values in that range), so they fit their ushort fields.
        var srtt = SrttUnits;
        var error = Math.Abs(srtt - r);
        _rttVar = (ushort)(((3L * _rttVar) + error) / 4);
        _srttPlusOne = (ushort)((((7 * srtt) + r + 4) / 8) + 1);
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

        var rto = SrttUnits + Math.Max(GranularityUnits, 4L * _rttVar);
        return new TimeSpan(Math.Clamp(rto * TicksPerUnit, min.Ticks, max.Ticks));
    }
}
