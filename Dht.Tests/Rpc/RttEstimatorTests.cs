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
}
