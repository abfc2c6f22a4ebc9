using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Dht.Simulator.World;

/// <summary>
/// Sine, cosine, arcsine, natural logarithm, exponential and power for the simulator's network model, churn and
/// workload, computed from IEEE 754 basic operations only (+, −, ×, ÷ and square root, each correctly rounded on every
/// platform .NET runs on), so that a run gives the same bits, and so the same trace, on every machine.
/// </summary>
/// <remarks>
/// <para><see cref="Math.Sin(double)"/> and its kin call the platform's C library, whose last bits differ between
/// libraries (glibc, the Windows CRT, Apple's libm) and even between code paths of one library (glibc picks an FMA
/// variant on processors that have FMA). One differing bit in a delay can move a delivery by one 100 ns tick and from
/// there change every later event of the run. Written by hand because no package served here offers platform-
/// independent transcendental functions (see docs/simulator.md, "Determinism").</para>
/// <para>Method: argument reduction (by π/2 for sine and cosine, by powers of two and ln 2 for the logarithm and
/// exponential, by the half-angle identities for the arcsine), then a truncated Taylor series whose first omitted term
/// is below 10^-18 of the result over the reduced range. Accuracy is a few units in the last place (tests compare with
/// <see cref="Math"/>); the results need not be correctly rounded, only the same everywhere. Sine and cosine accept
/// |x| up to 10^6 (the model uses angles of a few radians) and throw beyond it rather than lose accuracy.</para>
/// </remarks>
internal static class DeterministicMath
{
    /// <summary>The largest |x| <see cref="Sin"/> and <see cref="Cos"/> accept.</summary>
    public const double MaxTrigArgument = 1e6;

    // π/2 in three parts (Cody and Waite): the first two have 32 significant bits, so n times either is exact for the
    // quadrant counts n below 2^21 that MaxTrigArgument allows.
    private const double PiOver2Part1 = 1.5707963267341256;
    private const double PiOver2Part2 = 6.077100506303966e-11;
    private const double PiOver2Part3 = 2.0222662487959506e-21;
    private const double TwoOverPi = 0.6366197723675814;

    // π/2 as the nearest double plus the rest, for the arcsine's complement.
    private const double PiOver2 = 1.5707963267948966;
    private const double PiOver2Rest = 6.123233995736766e-17;

    // ln 2 in two parts: the first has 40 significant bits, so n times it is exact for every binary exponent n.
    private const double Ln2Part1 = 0.6931471805592082;
    private const double Ln2Part2 = 7.371002565167799e-13;
    private const double OneOverLn2 = 1.4426950408889634;
    private const double Sqrt2 = 1.4142135623730951;

    // exp(x) overflows above this and is zero below the second (both with margin; the series handles the rest).
    private const double ExpOverflow = 709.782712893384;
    private const double ExpUnderflow = -745.1332191019412;

    // asin(z) = z (c0 + c1 z^2 + c2 z^4 + ...), c_n = (2n)! / (4^n (n!)^2 (2n + 1)): 14 terms for z <= sin(15°).
    private static readonly double[] AsinSeries = BuildAsinSeries(14);

    // 1/k! for k = 0..13: exp(r) for |r| <= ln 2 / 2 by its series (the next term is below 10^-17 of the result).
    private static readonly double[] InverseFactorials = BuildInverseFactorials(14);

    // 1/(2k + 1) for k = 0..11: 2 atanh(s) / (2s) for |s| < 0.172 by its series (the next term is below 10^-18).
    private static readonly double[] InverseOdds = BuildInverseOdds(12);

    /// <summary>The sine of <paramref name="x"/> (radians, |x| ≤ <see cref="MaxTrigArgument"/>); NaN for NaN.</summary>
    /// <exception cref="ArgumentOutOfRangeException">|x| is above <see cref="MaxTrigArgument"/>.</exception>
    public static double Sin(double x)
    {
        var r = Reduce(x, out var quadrant);
        return (quadrant & 3) switch
        {
            0 => SinSeries(r),
            1 => CosSeries(r),
            2 => -SinSeries(r),
            _ => -CosSeries(r),
        };
    }

    /// <summary>The cosine of <paramref name="x"/> (radians, |x| ≤ <see cref="MaxTrigArgument"/>); NaN for NaN.</summary>
    /// <exception cref="ArgumentOutOfRangeException">|x| is above <see cref="MaxTrigArgument"/>.</exception>
    public static double Cos(double x)
    {
        var r = Reduce(x, out var quadrant);
        return (quadrant & 3) switch
        {
            0 => CosSeries(r),
            1 => -SinSeries(r),
            2 => -CosSeries(r),
            _ => SinSeries(r),
        };
    }

    /// <summary>The arcsine of <paramref name="x"/> in [−π/2, π/2]; NaN outside [−1, 1].</summary>
    public static double Asin(double x)
    {
        if (!(x >= -1 && x <= 1))
        {
            return double.NaN;
        }

        var a = Math.Abs(x);
        double result;
        if (a <= 0.5)
        {
            result = AsinHalf(a);
        }
        else
        {
            // asin(a) = π/2 − 2 asin(sqrt((1 − a) / 2)); 1 − a is exact for a in [0.5, 1].
            result = (PiOver2 - (2 * AsinHalf(Math.Sqrt((1 - a) / 2)))) + PiOver2Rest;
        }

        return x < 0 ? -result : result;
    }

    /// <summary>The natural logarithm of <paramref name="x"/>: −∞ at 0, NaN below 0, +∞ at +∞.</summary>
    public static double Log(double x)
    {
        if (!(x > 0))
        {
            return x == 0 ? double.NegativeInfinity : double.NaN;
        }

        if (double.IsPositiveInfinity(x))
        {
            return x;
        }

        var exponent = 0;
        if (x < double.Epsilon * (1L << 52))
        {
            x *= 1L << 54; // subnormal: scale into the normal range (exact)
            exponent = -54;
        }

        // x = m 2^e with m in [1, 2), then m in [sqrt(1/2), sqrt(2)): both steps exact.
        var bits = BitConverter.DoubleToInt64Bits(x);
        exponent += (int)(bits >> 52) - 1023;
        var m = BitConverter.Int64BitsToDouble((bits & 0x000F_FFFF_FFFF_FFFFL) | 0x3FF0_0000_0000_0000L);
        if (m > Sqrt2)
        {
            m /= 2;
            exponent++;
        }

        // log(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...) with s = (m − 1) / (m + 1), |s| < 0.172: 12 terms.
        var s = (m - 1) / (m + 1);
        var t = s * s;
        var series = Polynomial(InverseOdds, t);

        return (exponent * Ln2Part1) + ((2 * s * series) + (exponent * Ln2Part2));
    }

    /// <summary>e to the power <paramref name="x"/>: +∞ on overflow, 0 on underflow, NaN for NaN.</summary>
    public static double Exp(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        if (x > ExpOverflow)
        {
            return double.PositiveInfinity;
        }

        if (x < ExpUnderflow)
        {
            return 0;
        }

        // x = n ln 2 + r with |r| <= ln 2 / 2; exp(r) by 14 terms of its series, then scaled by 2^n (exact unless the
        // result is subnormal, where it is rounded once).
        var n = Math.Round(x * OneOverLn2);
        var r = (x - (n * Ln2Part1)) - (n * Ln2Part2);
        var series = Polynomial(InverseFactorials, r);

        return Math.ScaleB(series, (int)n);
    }

    /// <summary>
    /// <paramref name="x"/> to the power <paramref name="y"/> for <paramref name="x"/> ≥ 0, as exp(y log x): 0 for
    /// x = 0 and y &gt; 0, +∞ for x = 0 and y &lt; 0, 1 for y = 0; NaN for negative or NaN x.
    /// </summary>
    public static double PowNonNegative(double x, double y)
    {
        if (y == 0)
        {
            return 1;
        }

        if (x == 0)
        {
            return y > 0 ? 0 : double.PositiveInfinity;
        }

        return x > 0 ? Exp(y * Log(x)) : double.NaN;
    }

    /// <summary>x − n π/2 with n the nearest integer to x / (π/2).</summary>
    private static double Reduce(double x, out long quadrant)
    {
        if (!(Math.Abs(x) <= MaxTrigArgument) && !double.IsNaN(x))
        {
            ThrowTrigArgument(x);
        }

        var n = Math.Round(x * TwoOverPi);
        quadrant = (long)n;
        return ((x - (n * PiOver2Part1)) - (n * PiOver2Part2)) - (n * PiOver2Part3);
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTrigArgument(double x) =>
        throw new ArgumentOutOfRangeException(nameof(x), x, $"Deterministic sine and cosine take |x| <= {MaxTrigArgument:G}.");

    /// <summary>sin(r) for |r| ≤ π/4 + ε: the series to r^17 (the next term is below 10^-19).</summary>
    private static double SinSeries(double r)
    {
        var z = r * r;
        var p = (1.0 / 355687428096000) * z;
        p = (p - (1.0 / 1307674368000)) * z;
        p = (p + (1.0 / 6227020800)) * z;
        p = (p - (1.0 / 39916800)) * z;
        p = (p + (1.0 / 362880)) * z;
        p = (p - (1.0 / 5040)) * z;
        p = (p + (1.0 / 120)) * z;
        p = (p - (1.0 / 6)) * z;
        return r + (r * p);
    }

    /// <summary>cos(r) for |r| ≤ π/4 + ε: the series to r^18 (the next term is below 10^-20).</summary>
    private static double CosSeries(double r)
    {
        var z = r * r;
        var p = (-1.0 / 6402373705728000) * z;
        p = (p + (1.0 / 20922789888000)) * z;
        p = (p - (1.0 / 87178291200)) * z;
        p = (p + (1.0 / 479001600)) * z;
        p = (p - (1.0 / 3628800)) * z;
        p = (p + (1.0 / 40320)) * z;
        p = (p - (1.0 / 720)) * z;
        p = (p + (1.0 / 24)) * z;
        return 1 - ((z / 2) - (z * p));
    }

    /// <summary>asin(a) for 0 ≤ a ≤ 0.5: one half-angle step to z ≤ sin(15°), then the series.</summary>
    private static double AsinHalf(double a)
    {
        // asin(a) = 2 asin(z) with z = a / sqrt(2 (1 + sqrt(1 − a^2))), the sine of half the angle.
        var z = a / Math.Sqrt(2 * (1 + Math.Sqrt(1 - (a * a))));
        return 2 * (z * Polynomial(AsinSeries, z * z));
    }

    /// <summary>c[0] + c[1] x + c[2] x^2 + ... by Horner's rule, highest coefficient first.</summary>
    private static double Polynomial(double[] c, double x)
    {
        var sum = c[^1];
        for (var k = c.Length - 2; k >= 0; k--)
        {
            sum = (sum * x) + c[k];
        }

        return sum;
    }

    private static double[] BuildInverseFactorials(int terms)
    {
        var c = new double[terms];
        var factorial = 1.0; // exact: every factorial up to 13! is an integer below 2^53
        for (var k = 0; k < terms; k++)
        {
            factorial *= Math.Max(1, k);
            c[k] = 1 / factorial;
        }

        return c;
    }

    private static double[] BuildInverseOdds(int terms)
    {
        var c = new double[terms];
        for (var k = 0; k < terms; k++)
        {
            c[k] = 1.0 / ((2 * k) + 1);
        }

        return c;
    }

    private static double[] BuildAsinSeries(int terms)
    {
        // c_0 = 1, c_n = c_(n−1) (2n − 1)^2 / (2n (2n + 1)): basic operations only, so the same on every platform.
        var c = new double[terms];
        c[0] = 1;
        var central = 1.0; // (2n)! / (4^n (n!)^2)
        for (var n = 1; n < terms; n++)
        {
            central = central * ((2 * n) - 1) / (2 * n);
            c[n] = central / ((2 * n) + 1);
        }

        return c;
    }
}
