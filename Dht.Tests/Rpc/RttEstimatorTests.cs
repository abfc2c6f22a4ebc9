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
        Assert.AreEqual(Max, slow.RetransmitTimeout(Min, Max, Initial));
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
        Assert.AreEqual(TimeSpan.FromHours(1 + (4 * 22.5 / 60)), huge.RetransmitTimeout(Min, TimeSpan.MaxValue, Initial));
    }

    [TestMethod]
    public void RetransmitTimeout_MinAboveMax_Throws()
    {
        var rtt = default(RttEstimator);

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => rtt.RetransmitTimeout(Max, Min, Initial));
    }

    [TestMethod]
    public void Layout_IsEightBytes()
    {
        Assert.AreEqual(8, Unsafe.SizeOf<RttEstimator>());
        Assert.IsLessThan((double)uint.MaxValue, RttEstimator.MaxSample.TotalMicroseconds, "SRTT + 1 in microseconds must fit a uint");
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
    public void AddSample_SubMicrosecondParts_Truncated()
    {
        var rtt = default(RttEstimator);

        rtt.AddSample(TimeSpan.FromTicks(1_234_567));

        Assert.AreEqual(TimeSpan.FromTicks(1_234_560), rtt.Srtt);
        Assert.AreEqual(TimeSpan.FromTicks(617_280), rtt.RttVar);
    }

    [TestMethod]
    [DataRow(41UL)]
    [DataRow(42UL)]
    public void AddSample_RandomSamples_WithinMicrosecondsOfExactArithmetic(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var rtt = default(RttEstimator);
        double srtt = 0, rttVar = 0;
        for (var i = 0; i < 10_000; i++)
        {
            var sampleUs = rng.NextInt32(i % 100 == 0 ? 5_000_000 : 400_000);
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

            Assert.AreEqual(srtt, rtt.Srtt.TotalMicroseconds, 10, $"SRTT after {i + 1} samples; seed {seed}");
            Assert.AreEqual(rttVar, rtt.RttVar.TotalMicroseconds, 20, $"RTTVAR after {i + 1} samples; seed {seed}");
        }
    }
}
