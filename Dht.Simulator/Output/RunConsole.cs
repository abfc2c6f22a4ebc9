using System.Diagnostics;
using System.Globalization;
using Dht.Simulator.World;
using Spectre.Console;

namespace Dht.Simulator.Output;

/// <summary>
/// Console output of a run: a live progress bar and a table on a terminal; plain lines (progress every 10 % of simulated
/// time) and an ASCII table when output is redirected. Wall-clock time is shown here only, never fed into the world.
/// </summary>
internal sealed class RunConsole
{
    private readonly IAnsiConsole _console;

    public RunConsole()
    {
        Interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (Interactive)
        {
            _console = AnsiConsole.Console;
        }
        else
        {
            _console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
                Out = new AnsiConsoleOutput(Console.Out),
            });
            _console.Profile.Width = 132;
        }
    }

    public bool Interactive { get; }

    /// <summary>A plain line: through Spectre on a terminal (so it stays above the live progress bar), else verbatim.</summary>
    public void Line(string text)
    {
        if (Interactive)
        {
            _console.WriteLine(text);
        }
        else
        {
            Console.WriteLine(text);
        }
    }

    /// <summary>Runs the world to its end, showing progress.</summary>
    public void Run(SimWorld world, Stopwatch wall)
    {
        if (!Interactive)
        {
            var next = 0.1;
            world.Run(w =>
            {
                var fraction = w.EndSeconds > 0 ? w.NowSeconds / w.EndSeconds : 1;
                if (fraction >= next || (fraction >= 1 && next <= 1))
                {
                    Line($"[{fraction * 100,3:0}%] {Status(w, wall)}");
                    next = (Math.Floor(fraction * 10) + 1) / 10;
                }
            });
            return;
        }

        _console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
            .Start(ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: Math.Max(world.EndSeconds, 1e-9));
                world.Run(w =>
                {
                    task.Value = Math.Min(w.NowSeconds, w.EndSeconds);
                    task.Description = Markup.Escape(Status(w, wall));
                });
                task.Value = task.MaxValue;
                ctx.Refresh();
            });
    }

    private static string Status(SimWorld w, Stopwatch wall)
    {
        // Rate and ETA from the event loop alone: setup (the warm start) can take most of the wall time at 10^6 nodes.
        var elapsed = wall.Elapsed.TotalSeconds;
        var loop = w.LoopWallSecondsSoFar;
        var rate = loop > 0 ? w.Events / loop : 0;
        var eta = w.NowSeconds > 0 ? loop * (w.EndSeconds - w.NowSeconds) / w.NowSeconds : double.NaN;
        return string.Create(CultureInfo.InvariantCulture,
            $"sim {w.NowSeconds:0}/{w.EndSeconds:0} s  wall {Clock(elapsed)}  {rate:N0} ev/s  live {w.LiveNodes:N0}  ETA {(double.IsFinite(eta) ? Clock(eta) : "?")}");
    }

    private static string Clock(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return t.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}:{t.Seconds:00}");
    }

    /// <summary>The final table of operations and the run's vital numbers.</summary>
    public void Summary(RunSummary s, string outDir)
    {
        // Fits an 80-column terminal: short headers, no wrapping, one space between columns.
        var table = new Table().Title("operations (latency in ms and hops over succeeded ones)");
        table.Border(Interactive ? TableBorder.Minimal : TableBorder.Ascii);
        foreach (var column in new[] { "op", "count", "ok %", "p50", "p90", "p99", "max", "p50/RTT", "p99/RTT", "hops", "msgs" })
        {
            var c = new TableColumn(column).NoWrap().Padding(0, 0, 1, 0);
            table.AddColumn(column == "op" ? c : c.RightAligned());
        }

        AddRow(table, "GET", s.Gets, dim: false);
        AddRow(table, " immut.", s.ImmutableGets, dim: true);
        AddRow(table, " signed", s.SignedGets, dim: true);
        AddRow(table, "PUT", s.Puts, dim: false);
        AddRow(table, " immut.", s.ImmutablePuts, dim: true);
        AddRow(table, " signed", s.SignedPuts, dim: true);
        AddRow(table, "lookup", s.Lookups, dim: false);
        _console.Write(table);

        var a = s.Accounting;
        var info = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Info(string name, string value) => info.AddRow(new Text(name), new Text(value));
        Info("scenario", $"{s.Scenario}  seed {s.Seed}  nodes {N(s.Nodes)}  crypto {s.Crypto}  warm start {(s.WarmStart ? "yes" : "no")}");
        Info("lookups", $"rounds to closest {F(s.Lookups.RoundsToClosest?.Mean ?? 0, "0.00")}  recall@k {F(s.Lookups.RecallK ?? 0, "0.000")}");
        Info("time", $"simulated {F(s.SimulatedSeconds, "0")} s  wall {F(s.WallSeconds, "0.0")} s  events {N(s.Events)}  {N((long)s.EventsPerSecond)} ev/s  peak {F(s.PeakWorkingSetBytes / 1e6, "0")} MB");
        Info("network", $"rtt median {F(s.RttMedianMs, "0.0")} ms  sent {N(a.Sent)}  bytes {N(a.Bytes)}  delivered {N(a.Delivered)}  dropped {N(a.DroppedTotal)}  in flight {N(a.InFlight)}");
        Info("trace", s.TraceHash);
        Info("output", outDir);
        _console.Write(info);
    }

    private static void AddRow(Table table, string name, OperationSummary o, bool dim)
    {
        string[] cells =
        [
            name, N(o.Count), o.Count == 0 ? "-" : F(o.SuccessRate * 100, "0.0"),
            F(o.LatencyMs.P50, "0"), F(o.LatencyMs.P90, "0"), F(o.LatencyMs.P99, "0"), F(o.LatencyMs.Max, "0"),
            F(o.LatencyRtt.P50, "0.00"), F(o.LatencyRtt.P99, "0.00"), F(o.Hops.Mean, "0.00"), F(o.Messages.Mean, "0.0"),
        ];
        table.AddRow(cells.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c, dim ? new Style(decoration: Decoration.Dim) : Style.Plain)).ToArray());
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Printed verbatim (never wrapped) so the replay command can be copied.</summary>
    public static void Violations(IReadOnlyList<string> violations, ulong seed, string replay)
    {
        Console.WriteLine($"{violations.Count} check violation(s):");
        foreach (var v in violations)
        {
            Console.WriteLine("  VIOLATION " + v);
        }

        Console.WriteLine($"seed {seed}; replay with:");
        Console.WriteLine("  " + replay);
    }
}
