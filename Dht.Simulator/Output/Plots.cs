using Dht.Simulator.Metrics;
using ScottPlot;

namespace Dht.Simulator.Output;

/// <summary>PNG charts of one run (ScottPlot, headless). Reads the recorded rows only.</summary>
internal static class Plots
{
    private const int Width = 900;
    private const int Height = 550;

    /// <summary>Writes latency-cdf.png, hops.png and timeline.png; returns the files written.</summary>
    public static IReadOnlyList<string> WriteAll(string dir, IReadOnlyList<OperationRecord> ops, IReadOnlyList<TimelineRow> timeline, Action<string> warn)
    {
        ChooseFont(warn);
        return
        [
            LatencyCdf(Path.Combine(dir, "latency-cdf.png"), ops),
            Hops(Path.Combine(dir, "hops.png"), ops),
            Timeline(Path.Combine(dir, "timeline.png"), timeline),
        ];
    }

    /// <summary>
    /// Prefers an installed sans-serif font. Headless machines may have none: Skia then draws no text, which must not
    /// fail the run, so this only warns.
    /// </summary>
    private static void ChooseFont(Action<string> warn)
    {
        var installed = SkiaSharp.SKFontManager.Default.GetFontFamilies();
        string[] preferred = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Open Sans", "Arial", "Helvetica", "FreeSans"];
        if (preferred.FirstOrDefault(f => installed.Contains(f, StringComparer.OrdinalIgnoreCase)) is { } font)
        {
            Fonts.Default = font;
        }

        using var typeface = SkiaSharp.SKTypeface.FromFamilyName(Fonts.Default);
        if (typeface is null || typeface.GlyphCount == 0)
        {
            warn("no usable font found: plots are drawn without text (install e.g. fonts-dejavu-core)");
        }
    }

    private static double[] Latencies(IReadOnlyList<OperationRecord> ops, string[] kinds) =>
        [.. ops.Where(o => o.Success && kinds.Contains(o.Kind, StringComparer.Ordinal)).Select(o => o.LatencyMs).Order()];

    private static string LatencyCdf(string path, IReadOnlyList<OperationRecord> ops)
    {
        var plot = new Plot();
        AddCdf(plot, Latencies(ops, Reports.GetKinds), "GET", Colors.C0);
        AddCdf(plot, Latencies(ops, Reports.PutKinds), "PUT", Colors.C1);
        plot.Title("Latency CDF (succeeded operations)");
        plot.XLabel("latency (ms)");
        plot.YLabel("fraction of operations");
        plot.Axes.SetLimitsY(0, 1.02);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, Width, Height);
        return path;
    }

    private static void AddCdf(Plot plot, double[] sorted, string label, Color color)
    {
        if (sorted.Length == 0)
        {
            return;
        }

        // At most ~2,000 points: a step every n/2000 values is plenty for a CDF.
        var step = Math.Max(1, sorted.Length / 2000);
        var xs = new List<double> { 0 };
        var ys = new List<double> { 0 };
        for (var i = 0; i < sorted.Length; i += step)
        {
            xs.Add(sorted[i]);
            ys.Add((i + 1) / (double)sorted.Length);
        }

        xs.Add(sorted[^1]);
        ys.Add(1);
        var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray(), color);
        line.LineWidth = 2;
        line.LegendText = $"{label} (n={sorted.Length})";
    }

    private static string Hops(string path, IReadOnlyList<OperationRecord> ops)
    {
        var plot = new Plot();
        var series = new (string Label, string[] Kinds, Color Color)[]
        {
            ("GET", Reports.GetKinds, Colors.C0),
            ("lookup", Reports.LookupKinds, Colors.C2),
        };
        var bars = new List<Bar>();
        for (var s = 0; s < series.Length; s++)
        {
            var hops = ops.Where(o => o.Success && series[s].Kinds.Contains(o.Kind, StringComparer.Ordinal)).Select(o => o.Hops).ToArray();
            if (hops.Length == 0)
            {
                continue;
            }

            foreach (var group in hops.GroupBy(h => h))
            {
                bars.Add(new Bar
                {
                    Position = group.Key + ((s - 0.5) * 0.4),
                    Value = group.Count() / (double)hops.Length,
                    Size = 0.4,
                    FillColor = series[s].Color,
                    LineWidth = 0,
                });
            }

            plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"{series[s].Label} (n={hops.Length})", FillColor = series[s].Color });
        }

        if (bars.Count > 0)
        {
            plot.Add.Bars(bars);
        }

        plot.Title("Hops (succeeded operations)");
        plot.XLabel("hops");
        plot.YLabel("fraction of operations");
        plot.Axes.Margins(bottom: 0);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, Width, Height);
        return path;
    }

    private static string Timeline(string path, IReadOnlyList<TimelineRow> rows)
    {
        var plot = new Plot();
        var withOps = rows.Where(r => r.Operations > 0).ToArray();
        if (withOps.Length > 0)
        {
            var success = plot.Add.ScatterLine(withOps.Select(r => r.EndSeconds).ToArray(), withOps.Select(r => r.Succeeded / (double)r.Operations).ToArray(), Colors.C0);
            success.LineWidth = 2;
            success.LegendText = "success rate (left)";
        }

        if (rows.Count > 0)
        {
            var messages = plot.Add.ScatterLine(rows.Select(r => r.EndSeconds).ToArray(), rows.Select(r => (double)r.Messages).ToArray(), Colors.C1);
            messages.LineWidth = 1.5f;
            messages.LegendText = "messages per interval (right)";
            messages.Axes.YAxis = plot.Axes.Right;
        }

        plot.Title("Timeline");
        plot.XLabel("simulated time (s)");
        plot.Axes.Left.Label.Text = "success rate";
        plot.Axes.Right.Label.Text = "messages per interval";
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(0, 1.05, plot.Axes.Left);
        plot.Axes.SetLimitsY(0, Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => r.Messages)) * 1.05, plot.Axes.Right);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, Width, Height);
        return path;
    }
}
