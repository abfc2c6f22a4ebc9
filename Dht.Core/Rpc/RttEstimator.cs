namespace Dht.Rpc;

/// <summary>
/// Round-trip-time estimator from RFC 6298: SRTT and RTTVAR with alpha = 1/8 and beta = 1/4, clock granularity 1 ms.
/// A mutable value type: keep it in a field and update it by reference.
/// </summary>
/// <remarks>
/// Samples are clamped to [0, <see cref="MaxSample"/>] so the integer arithmetic (in 100 ns ticks) cannot overflow.
/// </remarks>
internal struct RttEstimator
{
    /// <summary>The largest sample taken into account; longer samples count as this.</summary>
    public static readonly TimeSpan MaxSample = TimeSpan.FromHours(1);

    /// <summary>The clock granularity G of RFC 6298.</summary>
    public static readonly TimeSpan Granularity = TimeSpan.FromMilliseconds(1);

    private long _srttTicks;
    private long _rttVarTicks;
    private bool _hasSamples;

    /// <summary>True once at least one sample was added.</summary>
    public readonly bool HasSamples => _hasSamples;

    /// <summary>The smoothed round-trip time (zero before the first sample).</summary>
    public readonly TimeSpan Srtt => new(_srttTicks);

    /// <summary>The round-trip-time variation (zero before the first sample).</summary>
    public readonly TimeSpan RttVar => new(_rttVarTicks);

    /// <summary>Adds a measured round-trip time (RFC 6298 section 2.2 and 2.3).</summary>
    public void AddSample(TimeSpan rtt)
    {
        var r = Math.Clamp(rtt.Ticks, 0, MaxSample.Ticks);
        if (!_hasSamples)
        {
            _srttTicks = r;
            _rttVarTicks = r / 2;
            _hasSamples = true;
            return;
        }

        // RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|, then SRTT <- (1 - alpha) * SRTT + alpha * R'.
        var error = Math.Abs(_srttTicks - r);
        // Samples are at most an hour (3.6e10 ticks), so these products cannot overflow.
        _rttVarTicks = ((3 * _rttVarTicks) + error) / 4;
        _srttTicks = ((7 * _srttTicks) + r) / 8;
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

        if (!_hasSamples)
        {
            return initial;
        }

        var rto = _srttTicks + Math.Max(Granularity.Ticks, 4 * _rttVarTicks);
        return new TimeSpan(Math.Clamp(rto, min.Ticks, max.Ticks));
    }
}
