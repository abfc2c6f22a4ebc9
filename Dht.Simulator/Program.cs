using System.Diagnostics;
using System.Globalization;
using Dht.Simulator.Output;
using Dht.Simulator.Scenarios;
using Dht.Simulator.World;

namespace Dht.Simulator;

/// <summary>
/// dht-sim run &lt;scenario.json&gt; [--seed N] [--nodes N] [--out DIR]. Exit codes: 0 run ok and no check violated,
/// 1 a checker reported violations, 2 bad scenario or bad arguments.
/// </summary>
internal static class Program
{
    private const int ExitOk = 0;
    private const int ExitViolations = 1;
    private const int ExitUsage = 2;
    private const int ExitOutOfMemory = 3;

    private const string Usage = """
        usage: dht-sim run <scenario.json> [--seed N] [--nodes N] [--out DIR]

          --seed N    override the scenario's seed (0 .. 18446744073709551615)
          --nodes N   override the node count (2 .. 2,000,000)
          --out DIR   output folder (default: out/<scenario name>)

        exit codes: 0 ok, 1 a check reported violations, 2 bad scenario or arguments
        """;

    internal static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return ExitOk;
        }

        if (!TryParse(args, out var options, out var problem))
        {
            Console.Error.WriteLine($"error: {problem}");
            Console.Error.WriteLine(Usage);
            return ExitUsage;
        }

        Scenario scenario;
        string outDir;
        try
        {
            scenario = ScenarioLoader.Load(options.ScenarioPath);
            ScenarioLoader.ApplyOverrides(scenario, options.Seed, options.Nodes);
            outDir = options.Out ?? Path.Combine("out", scenario.Name);
            CreateOutputDirectory(outDir);
        }
        catch (ScenarioException e)
        {
            // Field problems are named by their path in the file; file and argument problems name themselves.
            var self = e.Message.StartsWith("--", StringComparison.Ordinal) || e.Message.StartsWith(options.ScenarioPath, StringComparison.Ordinal);
            Console.Error.WriteLine(self ? $"error: {e.Message}" : $"error: {options.ScenarioPath}: {e.Message}");
            return ExitUsage;
        }

        return Run(scenario, options, outDir);
    }

    private static void CreateOutputDirectory(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ScenarioException($"--out: cannot create directory '{dir}': {e.Message}", e);
        }
    }

    private static int Run(Scenario scenario, Options options, string outDir)
    {
        var ui = new RunConsole();
        var real = scenario.Crypto == "real" || (scenario.Crypto == "auto" && scenario.Nodes <= 10_000);
        var wall = Stopwatch.StartNew();
        SimWorld world;
        try
        {
            world = new SimWorld(scenario, real, ui.Line);
        }
        catch (ArgumentException e)
        {
            // The loader's checks should make this unreachable; the engine's own validation is the backstop.
            Console.Error.WriteLine($"error: {options.ScenarioPath}: rejected by the engine: {e.Message}");
            return ExitUsage;
        }
        catch (Exception e) when (IsOutOfMemory(e))
        {
            return OutOfMemory(scenario, "while creating the nodes");
        }

        using (world)
        {
            var replay = ReplayCommand(options.ScenarioPath, scenario.Seed, options.Nodes is null ? null : scenario.Nodes);
            world.ReplayCommand = replay;
            var rtt = world.MedianRttMs();
            ui.Line(string.Create(CultureInfo.InvariantCulture,
                $"{scenario.Name}: {scenario.Nodes:N0} nodes, {(real ? "real" : "modeled")} crypto, seed {scenario.Seed}, {scenario.DurationSeconds:0.#} s simulated; nodes placed in {wall.Elapsed.TotalSeconds:0.0} s, rtt median {rtt:0.0} ms"));
            try
            {
                ui.Run(world, wall);
            }
            catch (Exception e) when (IsOutOfMemory(e))
            {
                return OutOfMemory(scenario, string.Create(CultureInfo.InvariantCulture, $"at simulated second {world.NowSeconds:0.#} of {scenario.DurationSeconds:0.#}"));
            }

            wall.Stop();
            var peak = Process.GetCurrentProcess().PeakWorkingSet64;
            var summary = Reports.Summarize(scenario, world, rtt, wall.Elapsed.TotalSeconds, peak);
            Reports.WriteAll(outDir, summary, world);
            try
            {
                Plots.WriteAll(outDir, world.Operations, world.Timeline, w => Console.Error.WriteLine("warning: " + w));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Plots are a convenience: a missing native library or font must not lose the run's numbers.
                Console.Error.WriteLine($"warning: plots not written: {e.GetType().Name}: {e.Message}");
            }

            ui.Summary(summary, outDir);
            if (world.Violations.Count > 0)
            {
                RunConsole.Violations(world.Violations, scenario.Seed, replay);
                return ExitViolations;
            }

            return ExitOk;
        }
    }

    /// <summary>
    /// A run that exhausts memory ends with a message a user can act on and its own exit code, instead of the runtime's
    /// bare "Out of memory." and a crash. Collecting first frees what the failed run held, so the message can be written.
    /// </summary>
    /// <summary>
    /// An exhausted heap, also when it surfaced in a worker of the warm start's parallel loops (an
    /// <see cref="AggregateException"/>) or in a type's initialization: each is reported like a plain one, never as a
    /// crash. It runs as an exception filter while the heap is exhausted, so it allocates nothing (no enumerator, no
    /// flattened copy): a filter that throws counts as false, and the run would crash.
    /// </summary>
    internal static bool IsOutOfMemory(Exception e)
    {
        switch (e)
        {
            case OutOfMemoryException:
                return true;
            case AggregateException a:
                var inner = a.InnerExceptions;
                for (var i = 0; i < inner.Count; i++)
                {
                    if (IsOutOfMemory(inner[i]))
                    {
                        return true;
                    }
                }

                return false;
            case TypeInitializationException or System.Reflection.TargetInvocationException:
                return e.InnerException is { } cause && IsOutOfMemory(cause);
            default:
                return false;
        }
    }

    private static int OutOfMemory(Scenario scenario, string when)
    {
        GC.Collect();
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"error: {scenario.Name} ran out of memory {when} ({scenario.Nodes:N0} nodes, peak working set {peak / 1e9:0.00} GB). Run fewer nodes (--nodes), fewer sessions per node (maxSessions), a shorter scenario, or on a machine with more memory."));
        return ExitOutOfMemory;
    }

    private static string ReplayCommand(string path, ulong seed, int? nodes)
    {
        var quoted = path.Contains(' ', StringComparison.Ordinal) || path.Contains('\'', StringComparison.Ordinal)
            ? "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'"
            : path;
        var command = string.Create(CultureInfo.InvariantCulture, $"dotnet run --project Dht.Simulator -c Release -- run {quoted} --seed {seed}");
        return nodes is { } n ? string.Create(CultureInfo.InvariantCulture, $"{command} --nodes {n}") : command;
    }

    private sealed record Options(string ScenarioPath, string? Seed, string? Nodes, string? Out);

    /// <summary>Strict parsing: one command, one scenario path, each option at most once, no unknown options.</summary>
    private static bool TryParse(string[] args, out Options options, out string problem)
    {
        options = new Options("", null, null, null);
        if (args.Length == 0)
        {
            problem = "missing command";
            return false;
        }

        if (args[0] != "run")
        {
            problem = $"unknown command '{args[0]}' (expected 'run')";
            return false;
        }

        string? path = null;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var eq = arg.IndexOf('=', StringComparison.Ordinal);
                var name = eq >= 0 ? arg[..eq] : arg;
                if (name is not ("--seed" or "--nodes" or "--out"))
                {
                    problem = $"{name}: unknown option";
                    return false;
                }

                string value;
                if (eq >= 0)
                {
                    value = arg[(eq + 1)..];
                }
                else if (i + 1 < args.Length)
                {
                    value = args[++i];
                }
                else
                {
                    problem = $"{name}: missing value";
                    return false;
                }

                if (value.Length == 0)
                {
                    problem = $"{name}: missing value";
                    return false;
                }

                if (!values.TryAdd(name, value))
                {
                    problem = $"{name}: given more than once";
                    return false;
                }
            }
            else if (arg.StartsWith('-') && arg.Length > 1)
            {
                problem = $"{arg}: unknown option";
                return false;
            }
            else if (path is null)
            {
                path = arg;
            }
            else
            {
                problem = $"unexpected argument '{arg}' (one scenario file per run)";
                return false;
            }
        }

        if (path is null)
        {
            problem = "missing scenario file";
            return false;
        }

        options = new Options(path, values.GetValueOrDefault("--seed"), values.GetValueOrDefault("--nodes"), values.GetValueOrDefault("--out"));
        problem = "";
        return true;
    }
}
