using System.Text.Json;
using Dht.Simulator.Scenarios;

namespace Dht.Tests.Simulator;

/// <summary>The simulator's command line: scenario errors name the field and exit 2; a run writes every output file.</summary>
[TestClass]
[TestCategory("Simulator")]
[DoNotParallelize] // Program.Main writes to the process's console
public sealed class SimulatorCliTests
{
    [TestMethod]
    [DataRow("""{ "nearKeyParallelism": 17 }""", "nearKeyParallelism")]
    [DataRow("""{ "putReturnQuorum": 0 }""", "putReturnQuorum")]
    [DataRow("""{ "maxSessions": 8 }""", "maxSessions")]
    [DataRow("""{ "sessionIdleSeconds": 0.5 }""", "sessionIdleSeconds")]
    [DataRow("""{ "nodes": 1 }""", "nodes")]
    [DataRow("""{ "network": { "loss": 1.5 } }""", "network.loss")]
    [DataRow("""{ "workload": { "putsPerSecond": -1 } }""", "workload.putsPerSecond")]
    [DataRow("""{ "churn": { "model": "sometimes" } }""", "churn.model")]
    [DataRow("""{ "network": { "lossy": 0.1 } }""", "network.lossy")]
    [DataRow("""{ "network": { "loss y]": 0.1 } }""", "network['loss y]']: unknown field")]
    [DataRow("""{ "crypto": "fast" }""", "crypto")]
    [DataRow("""{ "network": { "partitions": [ { "startSeconds": 50, "endSeconds": 10 } ] } }""", "network.partitions[0]")]
    [DataRow("""{ "nodes": 10, ]""", "invalid JSON")]
    public void Parse_BadScenario_ErrorNamesTheField(string json, string field)
    {
        var e = Assert.ThrowsExactly<ScenarioException>(() => ScenarioLoader.Validate(ScenarioLoader.Parse(json)));
        StringAssert.Contains(e.Message, field);
    }

    [TestMethod]
    public void Main_BadScenarioFile_ExitsTwo()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "bad.json");
        File.WriteAllText(path, """{ "name": "bad", "network": { "loss": 2 } }""");
        Assert.AreEqual(2, Dht.Simulator.Program.Main(["run", path, "--out", Path.Combine(dir, "out")]));
        Assert.AreEqual(2, Dht.Simulator.Program.Main(["run", Path.Combine(dir, "missing.json")]));
        Assert.AreEqual(2, Dht.Simulator.Program.Main(["run"]));
        Assert.AreEqual(2, Dht.Simulator.Program.Main(["run", path, "--nodes", "1"]));
    }

    [TestMethod]
    public void Main_SmallScenario_WritesSummaryCsvAndPlots()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "tiny.json");
        File.WriteAllText(path, """
            { "name": "tiny", "seed": 9, "nodes": 60, "crypto": "modeled", "joinSeconds": 10, "durationSeconds": 60,
              "workload": { "startSeconds": 20, "putsPerSecond": 1, "getsPerSecond": 3, "lookupsPerSecond": 1, "signedPutsPerSecond": 0.2 } }
            """);
        var outDir = Path.Combine(dir, "out");
        Assert.AreEqual(0, Dht.Simulator.Program.Main(["run", path, "--out", outDir]));

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var root = summary.RootElement;
        foreach (var name in new[] { "seed", "nodes", "crypto", "warmStart", "traceHash", "simulatedSeconds", "wallSeconds", "events", "eventsPerSecond", "peakWorkingSetBytes", "rttMedianMs" })
        {
            Assert.IsTrue(root.TryGetProperty(name, out _), $"summary.json lacks {name}");
        }

        Assert.AreEqual(9UL, root.GetProperty("seed").GetUInt64());
        Assert.AreEqual("modeled", root.GetProperty("crypto").GetString());
        foreach (var group in new[] { "gets", "puts", "lookups" })
        {
            var g = root.GetProperty(group);
            foreach (var name in new[] { "count", "succeeded", "successRate", "latencyMs", "latencyRtt", "hops", "messages" })
            {
                Assert.IsTrue(g.TryGetProperty(name, out _), $"summary.json {group} lacks {name}");
            }

            Assert.IsGreaterThan(0, g.GetProperty("count").GetInt32(), $"no {group} ran");
        }

        Assert.IsTrue(root.GetProperty("lookups").TryGetProperty("roundsToClosest", out _));
        Assert.IsTrue(root.GetProperty("lookups").TryGetProperty("recallK", out _));
        StringAssert.StartsWith(File.ReadLines(Path.Combine(outDir, "lookups.csv")).First(), "startSeconds,kind,success,latencyMs,hops,messages");
        StringAssert.StartsWith(File.ReadLines(Path.Combine(outDir, "timeline.csv")).First(), "endSeconds,liveNodes");
        foreach (var png in new[] { "latency-cdf.png", "hops.png", "timeline.png" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(outDir, png));
            Assert.IsTrue(bytes.Length > 1000 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G', $"{png} is not a PNG");
        }
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public void Run_OutOfMemory_ExitsWithCode3AndAnActionableMessage()
    {
        // A separate process with its heap capped at 48 MB: 20,000 warm-started nodes need several hundred.
        var dir = TempDir();
        var path = Path.Combine(dir, "big.json");
        File.WriteAllText(path, """
            { "name": "big", "seed": 3, "nodes": 20000, "crypto": "modeled", "warmStart": true, "joinSeconds": 0, "durationSeconds": 30, "workload": { "startSeconds": 5 } }
            """);
        var dll = Path.Combine(AppContext.BaseDirectory, "Dht.Simulator.dll");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "run", path, "--out", Path.Combine(dir, "out") })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_GCHeapHardLimit"] = "0x3000000";
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(150_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the capped run did not end within 150 s");
        }

        var error = stderr.Result;
        Assert.AreEqual(3, process.ExitCode, $"stdout: {stdout.Result}\nstderr: {error}");
        Assert.Contains("big ran out of memory", error);
        Assert.Contains("--nodes", error);
    }

    /// <summary>
    /// The warm start fills tables in parallel loops, so an exhausted heap can surface wrapped in an
    /// <see cref="AggregateException"/> (the capped run above does, at 48 MB): it must be reported as out of memory.
    /// </summary>
    [TestMethod]
    public void IsOutOfMemory_WrappedOrPlain_RecognizedOthersNot()
    {
        Assert.IsTrue(Dht.Simulator.Program.IsOutOfMemory(new OutOfMemoryException()));
        Assert.IsTrue(Dht.Simulator.Program.IsOutOfMemory(new AggregateException(new InvalidOperationException(), new OutOfMemoryException())));
        Assert.IsTrue(Dht.Simulator.Program.IsOutOfMemory(new AggregateException(new AggregateException(new OutOfMemoryException()))));
        Assert.IsTrue(Dht.Simulator.Program.IsOutOfMemory(new TypeInitializationException("T", new OutOfMemoryException())));
        Assert.IsFalse(Dht.Simulator.Program.IsOutOfMemory(new AggregateException(new InvalidOperationException())));
        Assert.IsFalse(Dht.Simulator.Program.IsOutOfMemory(new InvalidOperationException("x", new OutOfMemoryException())));
    }

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dht-sim-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
