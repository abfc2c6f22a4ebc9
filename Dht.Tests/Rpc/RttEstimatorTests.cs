using System.Runtime.CompilerServices;
using Dht.Protocol;
using Dht.Rpc;

namespace Dht.Tests.Rpc;

[TestClass]
public sealed class RttEstimatorTests
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Initial = TimeSpan.FromSeconds(1);

    [TestMethod]
    public void RetransmitTimeout_NoSamples_ReturnsInitial()
    {
        var rtt = default(RttEstimator);

        Assert.IsFalse(rtt.HasSamples);
        Assert.AreEqual(Initial, rtt.RetransmitTimeout(Min, Max, Initial));
    }

    [TestMethod]
    public void AddSample_FirstSample_SrttIsSampleAndRttVarHalf()
    {
        var rtt = default(RttEstimator);

        rtt.AddSample(TimeSpan.FromMilliseconds(100));

        Assert.IsTrue(rtt.HasSamples);
        Assert.AreEqual(TimeSpan.FromMilliseconds(100), rtt.Srtt);
        Assert.AreEqual(TimeSpan.FromMilliseconds(50), rtt.RttVar);
        Assert.AreEqual(TimeSpan.FromMilliseconds(300), rtt.RetransmitTimeout(Min, Max, Initial));
    }

    [TestMethod]
    public void AddSample_SecondSample_FollowsRfc6298()
    {
        var rtt = default(RttEstimator);

        rtt.AddSample(TimeSpan.FromMilliseconds(100));
        rtt.AddSample(TimeSpan.FromMilliseconds(200));

        // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5.
        Assert.AreEqual(TimeSpan.FromMilliseconds(62.5), rtt.RttVar);
        Assert.AreEqual(TimeSpan.FromMilliseconds(112.5), rtt.Srtt);
        Assert.AreEqual(TimeSpan.FromMilliseconds(362.5), rtt.RetransmitTimeout(Min, Max, Initial));
    }

    [TestMethod]
    public void RetransmitTimeout_SteadySamples_UsesGranularityFloor()
    {
        var rtt = default(RttEstimator);

        for (var i = 0; i < 200; i++)
        {
            rtt.AddSample(TimeSpan.FromMilliseconds(40));
        }

        Assert.AreEqual(TimeSpan.FromMilliseconds(40), rtt.Srtt);
        Assert.AreEqual(TimeSpan.Zero, rtt.RttVar);
        Assert.AreEqual(TimeSpan.FromMilliseconds(41), rtt.RetransmitTimeout(TimeSpan.Zero, Max, Initial));
    }

    [TestMethod]
    public void RetransmitTimeout_OutsideBounds_IsClamped()
    {
        var fast = default(RttEstimator);
        fast.AddSample(TimeSpan.FromMilliseconds(1));
        var slow = default(RttEstimator);
        slow.AddSample(TimeSpan.FromSeconds(30));

        Assert.AreEqual(TimeSpan.FromMilliseconds(200), fast.RetransmitTimeout(TimeSpan.FromMilliseconds(200), Max, Initial));
        Assert.AreEqual(TimeSpan.FromSeconds(10), slow.RetransmitTimeout(Min, TimeSpan.FromSeconds(10), Initial));
    }

    [TestMethod]
    public void AddSample_NegativeOrHuge_Clamped()
    {
        var negative = default(RttEstimator);
        negative.AddSample(TimeSpan.FromMilliseconds(-5));
        var huge = default(RttEstimator);
        huge.AddSample(TimeSpan.MaxValue);
        huge.AddSample(TimeSpan.MaxValue);

        Assert.AreEqual(TimeSpan.Zero, negative.Srtt);
        Assert.AreEqual(RttEstimator.MaxSample, huge.Srtt);
        // RTTVAR = 3/4 * 3.25 s = 2.4375 s after the second sample, so RTO = 6.5 s + 4 * 2.4375 s.
        Assert.AreEqual(TimeSpan.FromSeconds(16.25), huge.RetransmitTimeout(Min, TimeSpan.MaxValue, Initial));
    }

    [TestMethod]
    public void RetransmitTimeout_MinAboveMax_Throws()
    {
        var rtt = default(RttEstimator);

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => rtt.RetransmitTimeout(Max, Min, Initial));
    }

    [TestMethod]
    public void Layout_IsFourBytes()
    {
        Assert.AreEqual(4, Unsafe.SizeOf<RttEstimator>());
        Assert.IsLessThan((double)ushort.MaxValue, RttEstimator.MaxSample / RttEstimator.Resolution, "SRTT + 1 in units must fit a ushort");
        Assert.IsGreaterThan(TimeSpan.FromSeconds(5), RttEstimator.MaxSample, "above the default maximum request timeout");
    }

    [TestMethod]
    public void AddSample_RoundsToTheResolution()
    {
        var rtt = default(RttEstimator);
        rtt.AddSample(TimeSpan.FromMicroseconds(149));
        Assert.AreEqual(TimeSpan.FromMicroseconds(100), rtt.Srtt);
        var other = default(RttEstimator);
        other.AddSample(TimeSpan.FromMicroseconds(150));
        Assert.AreEqual(TimeSpan.FromMicroseconds(200), other.Srtt);
    }

    /// <summary>
    /// An integer average with gain 1/8 stops short of steady samples by a few units: rounding to the nearest unit
    /// keeps SRTT within 4 units (0.4 ms) of them from either side, where truncating would leave it up to 7 units
    /// (0.7 ms) below after a rise.
    /// </summary>
    [TestMethod]
    [DataRow(250.0, 40.0)]
    [DataRow(10.0, 123.4)]
    public void AddSample_SteadySamplesAfterAChange_SrttReachesThem(double firstMs, double steadyMs)
    {
        var rtt = default(RttEstimator);
        rtt.AddSample(TimeSpan.FromMilliseconds(firstMs));
        for (var i = 0; i < 200; i++)
        {
            rtt.AddSample(TimeSpan.FromMilliseconds(steadyMs));
        }

        Assert.AreEqual(steadyMs, rtt.Srtt.TotalMilliseconds, (4 * RttEstimator.Resolution.TotalMilliseconds) + 1e-9);
    }

    [TestMethod]
    public void AddSample_ZeroSample_CountsAsSample()
    {
        var rtt = default(RttEstimator);

        rtt.AddSample(TimeSpan.Zero);

        Assert.IsTrue(rtt.HasSamples);
        Assert.AreEqual(TimeSpan.Zero, rtt.Srtt);
        Assert.AreEqual(TimeSpan.Zero, rtt.RttVar);
        Assert.AreEqual(RttEstimator.Granularity, rtt.RetransmitTimeout(TimeSpan.Zero, Max, Initial));
        rtt.AddSample(TimeSpan.FromMilliseconds(8));
        Assert.AreEqual(TimeSpan.FromMilliseconds(1), rtt.Srtt, "the zero sample was averaged in");
        Assert.AreEqual(TimeSpan.FromMilliseconds(2), rtt.RttVar);
    }

    [TestMethod]
    public void AddSample_PartsBelowTheResolution_RoundedToNearest()
    {
        var rtt = default(RttEstimator);

        rtt.AddSample(TimeSpan.FromTicks(1_234_567)); // 123.4567 ms

        Assert.AreEqual(TimeSpan.FromMilliseconds(123.5), rtt.Srtt);
        Assert.AreEqual(TimeSpan.FromMilliseconds(61.7), rtt.RttVar, "half of 1,235 units, truncated");
    }

    [TestMethod]
    [DataRow(41UL)]
    [DataRow(42UL)]
    public void AddSample_RandomSamples_WithinAMillisecondOfExactArithmetic(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var rtt = default(RttEstimator);
        double srtt = 0, rttVar = 0;
        for (var i = 0; i < 10_000; i++)
        {
            var sampleUs = rng.NextInt32(i % 100 == 0 ? 6_500_000 : 400_000);
            rtt.AddSample(TimeSpan.FromMicroseconds(sampleUs));
            if (i == 0)
            {
                srtt = sampleUs;
                rttVar = sampleUs / 2.0;
            }
            else
            {
                rttVar = (0.75 * rttVar) + (0.25 * Math.Abs(srtt - sampleUs));
                srtt = (0.875 * srtt) + (0.125 * sampleUs);
            }

            // Rounding the samples and SRTT to 100 us and truncating RTTVAR's updates keeps both within a few units.
            Assert.AreEqual(srtt, rtt.Srtt.TotalMicroseconds, 500, $"SRTT after {i + 1} samples; seed {seed}");
            Assert.AreEqual(rttVar, rtt.RttVar.TotalMicroseconds, 1000, $"RTTVAR after {i + 1} samples; seed {seed}");
        }
    }
}
