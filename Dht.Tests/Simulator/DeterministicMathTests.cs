using Dht.Protocol;
using Dht.Simulator.World;

namespace Dht.Tests.Simulator;

/// <summary>
/// The simulator's platform-independent math: within a few units in the last place of <see cref="Math"/> over the
/// ranges the network model, churn and workload use, exact at the special values, and pinned to fixed bit patterns so
/// that a change of method (or a platform whose basic arithmetic differed) shows up here before it changes traces.
/// </summary>
[TestClass]
[TestCategory("Simulator")]
public sealed class DeterministicMathTests
{
    private const ulong Seed = 20261128;

    [TestMethod]
    public void SinAndCos_MatchMathWithinFourUlps()
    {
        var rng = new Xoshiro256(Seed);
        for (var i = 0; i < 200_000; i++)
        {
            // Mostly the model's range (a few radians), some far out to exercise the reduction.
            var x = i % 10 == 0 ? ((rng.NextDouble() * 2) - 1) * DeterministicMath.MaxTrigArgument : ((rng.NextDouble() * 20) - 10);
            AssertClose(Math.Sin(x), DeterministicMath.Sin(x), 4, $"sin({x:R}), seed {Seed}");
            AssertClose(Math.Cos(x), DeterministicMath.Cos(x), 4, $"cos({x:R}), seed {Seed}");
        }
    }

    [TestMethod]
    public void Asin_MatchesMathWithinFourUlps()
    {
        var rng = new Xoshiro256(Seed);
        for (var i = 0; i < 200_000; i++)
        {
            // Uniform on [-1, 1], and a share near 0 and near ±1 where the reductions switch.
            var x = (i % 3) switch
            {
                0 => (rng.NextDouble() * 2) - 1,
                1 => (rng.NextDouble() - 0.5) * 1e-3,
                _ => (1 - (rng.NextDouble() * 1e-3)) * (i % 2 == 0 ? 1 : -1),
            };
            AssertClose(Math.Asin(x), DeterministicMath.Asin(x), 4, $"asin({x:R}), seed {Seed}");
        }

        foreach (var x in new[] { 0.5, -0.5, Math.BitDecrement(0.5), Math.BitIncrement(0.5), 1e-300 })
        {
            AssertClose(Math.Asin(x), DeterministicMath.Asin(x), 4, $"asin({x:R})");
        }
    }

    [TestMethod]
    public void LogExpPow_MatchMathWithinFourUlps()
    {
        var rng = new Xoshiro256(Seed);
        for (var i = 0; i < 200_000; i++)
        {
            // Log over (0, 1] as the draws use it and over the whole exponent range; Exp over its finite range.
            var u = 1 - rng.NextDouble();
            AssertClose(Math.Log(u), DeterministicMath.Log(u), 4, $"log({u:R}), seed {Seed}");
            var wide = Math.ScaleB(1 + rng.NextDouble(), rng.NextInt32(2044) - 1022);
            AssertClose(Math.Log(wide), DeterministicMath.Log(wide), 4, $"log({wide:R}), seed {Seed}");
            var y = (rng.NextDouble() * 1400) - 700;
            AssertClose(Math.Exp(y), DeterministicMath.Exp(y), 4, $"exp({y:R}), seed {Seed}");

            // The Weibull draw: (-ln u)^(1/k) for shapes from 0.3 to 3 (exp(y log x) loses about |y log x| ulps).
            var shape = 0.3 + (rng.NextDouble() * 2.7);
            var w = -Math.Log(u);
            AssertClose(Math.Pow(w, 1 / shape), DeterministicMath.PowNonNegative(w, 1 / shape), 64, $"pow({w:R}, 1/{shape:R}), seed {Seed}");
        }
    }

    [TestMethod]
    public void SpecialValues()
    {
        Assert.AreEqual(0.0, DeterministicMath.Sin(0.0));
        Assert.AreEqual(1.0, DeterministicMath.Cos(0.0));
        Assert.AreEqual(0.0, DeterministicMath.Asin(0.0));
        Assert.AreEqual(Math.PI / 2, DeterministicMath.Asin(1.0));
        Assert.AreEqual(-Math.PI / 2, DeterministicMath.Asin(-1.0));
        Assert.IsTrue(double.IsNaN(DeterministicMath.Asin(1.0000000000000002)));
        Assert.IsTrue(double.IsNaN(DeterministicMath.Asin(double.NaN)));
        Assert.IsTrue(double.IsNaN(DeterministicMath.Sin(double.NaN)));
        Assert.IsTrue(double.IsNaN(DeterministicMath.Cos(double.NaN)));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DeterministicMath.Sin(double.PositiveInfinity));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DeterministicMath.Cos(2 * DeterministicMath.MaxTrigArgument));

        Assert.AreEqual(0.0, DeterministicMath.Log(1.0));
        Assert.AreEqual(double.NegativeInfinity, DeterministicMath.Log(0.0));
        Assert.AreEqual(double.PositiveInfinity, DeterministicMath.Log(double.PositiveInfinity));
        Assert.IsTrue(double.IsNaN(DeterministicMath.Log(-1.0)));
        Assert.IsTrue(double.IsNaN(DeterministicMath.Log(double.NaN)));
        AssertClose(Math.Log(double.Epsilon), DeterministicMath.Log(double.Epsilon), 4, "log of the smallest subnormal");
        AssertClose(Math.Log(1e-310), DeterministicMath.Log(1e-310), 4, "log of a subnormal");

        Assert.AreEqual(1.0, DeterministicMath.Exp(0.0));
        Assert.AreEqual(double.PositiveInfinity, DeterministicMath.Exp(710.0));
        Assert.AreEqual(0.0, DeterministicMath.Exp(-746.0));
        Assert.IsTrue(double.IsNaN(DeterministicMath.Exp(double.NaN)));

        Assert.AreEqual(1.0, DeterministicMath.PowNonNegative(5.0, 0.0));
        Assert.AreEqual(0.0, DeterministicMath.PowNonNegative(0.0, 1.5));
        Assert.AreEqual(0.0, DeterministicMath.PowNonNegative(-0.0, 1.5));
        Assert.AreEqual(double.PositiveInfinity, DeterministicMath.PowNonNegative(0.0, -1.5));
        Assert.IsTrue(double.IsNaN(DeterministicMath.PowNonNegative(-1.0, 0.5)));
    }

    /// <summary>
    /// Fixed bit patterns of a few results, taken from this implementation (each within one ulp of glibc's): they change
    /// only if the method changes (which changes every trace, so it must be deliberate) or if a platform's basic
    /// arithmetic were not IEEE 754.
    /// </summary>
    [TestMethod]
    public void Results_ArePinnedBitForBit()
    {
        (string Name, double Value, ulong Bits)[] pinned =
        [
            ("sin(0.5)", DeterministicMath.Sin(0.5), 0x3FDEAEE8744B05F0),
            ("cos(2.5)", DeterministicMath.Cos(2.5), 0xBFE9A2F7EF858B7D),
            ("sin(-7.25)", DeterministicMath.Sin(-7.25), 0xBFEA56ADB62A27B8),
            ("asin(0.3)", DeterministicMath.Asin(0.3), 0x3FD380159E14F6FE),
            ("asin(0.9)", DeterministicMath.Asin(0.9), 0x3FF1EA93705FA172),
            ("log(0.1)", DeterministicMath.Log(0.1), 0xC0026BB1BBB55515),
            ("exp(3.7)", DeterministicMath.Exp(3.7), 0x4044394144EEEC81),
            ("pow(2.2, 1/0.65)", DeterministicMath.PowNonNegative(2.2, 1 / 0.65), 0x400AE8A639C356EE),
        ];
        var mismatches = pinned.Where(p => BitConverter.DoubleToUInt64Bits(p.Value) != p.Bits)
            .Select(p => $"{p.Name} = {p.Value:R} (bits 0x{BitConverter.DoubleToUInt64Bits(p.Value):X16}, pinned 0x{p.Bits:X16})").ToList();
        Assert.IsEmpty(mismatches, string.Join("; ", mismatches));
    }

    private static void AssertClose(double expected, double actual, int maxUlps, string what)
    {
        if (expected == actual)
        {
            return;
        }

        // Units in the last place of the expected value (for values near 0, of the smallest normal).
        var ulp = Math.Max(Math.BitIncrement(Math.Abs(expected)) - Math.Abs(expected), double.Epsilon * (1L << 52));
        var error = Math.Abs(expected - actual) / ulp;
        Assert.IsTrue(error <= maxUlps, $"{what}: {actual:R} against {expected:R}, {error:F1} ulps");
    }
}
