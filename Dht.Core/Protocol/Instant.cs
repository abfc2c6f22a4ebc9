namespace Dht.Protocol;

/// <summary>
/// A point on the driver's monotonic clock, in <see cref="TimeSpan"/> ticks (100 ns) since an arbitrary origin.
/// The engine never reads a clock: every input carries an <see cref="Instant"/>.
/// </summary>
internal readonly record struct Instant(long Ticks) : IComparable<Instant>
{
    public static Instant Zero => default;

    public static Instant MaxValue => new(long.MaxValue);

    public static Instant FromSeconds(double seconds) => new((long)(seconds * TimeSpan.TicksPerSecond));

    public static Instant operator +(Instant t, TimeSpan d) => new(SaturatingAdd(t.Ticks, d.Ticks));

    public static Instant operator -(Instant t, TimeSpan d) => new(SaturatingAdd(t.Ticks, -d.Ticks));

    public static TimeSpan operator -(Instant a, Instant b) => new(a.Ticks - b.Ticks);

    public static bool operator <(Instant a, Instant b) => a.Ticks < b.Ticks;

    public static bool operator >(Instant a, Instant b) => a.Ticks > b.Ticks;

    public static bool operator <=(Instant a, Instant b) => a.Ticks <= b.Ticks;

    public static bool operator >=(Instant a, Instant b) => a.Ticks >= b.Ticks;

    public static Instant Min(Instant a, Instant b) => a.Ticks <= b.Ticks ? a : b;

    public static Instant Max(Instant a, Instant b) => a.Ticks >= b.Ticks ? a : b;

    public int CompareTo(Instant other) => Ticks.CompareTo(other.Ticks);

    public override string ToString() => $"{Ticks / (double)TimeSpan.TicksPerSecond:0.000000}s";

    private static long SaturatingAdd(long a, long b)
    {
        var r = a + b;
        if (((a ^ r) & (b ^ r)) < 0)
        {
            return b > 0 ? long.MaxValue : long.MinValue;
        }

        return r;
    }
}
