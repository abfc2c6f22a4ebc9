namespace Dht.Simulator.World;

internal sealed partial class SimWorld
{
    private bool ChurnEnabled => _scenario.Churn.Model is "exponential" or "weibull";

    private void ScheduleSessionEnd(SimNode node)
    {
        if (!ChurnEnabled)
        {
            return;
        }

        var start = Math.Max(_now, Ticks(_scenario.Churn.StartSeconds));
        Schedule(start + Ticks(DrawSessionSeconds()), new SimEvent(SimEventKind.Crash, node.Index));
    }

    private double DrawSessionSeconds() =>
        Draw(_scenario.Churn.SessionScaleMinutes * 60, _scenario.Churn.SessionShape);

    private double DrawDowntimeSeconds() =>
        Draw(_scenario.Churn.DowntimeScaleMinutes * 60, _scenario.Churn.DowntimeShape);

    /// <summary>Weibull(scale, shape) by inversion; exponential is shape 1.</summary>
    private double Draw(double scale, double shape)
    {
        var u = 1 - _rng.NextDouble();
        var k = _scenario.Churn.Model == "exponential" ? 1.0 : shape;
        return Math.Max(1, scale * DeterministicMath.PowNonNegative(-DeterministicMath.Log(u), 1 / k));
    }
}
