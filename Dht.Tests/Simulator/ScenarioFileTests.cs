using System.Text.Json;
using Dht.Simulator.Scenarios;

namespace Dht.Tests.Simulator;

[TestClass]
[TestCategory("Simulator")]
public sealed class ScenarioFileTests
{
    [TestMethod]
    public void ScenarioFiles_All_ParseWithKnownFieldsAndLeadingComment()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Dht.sln")))
        {
            directory = directory.Parent;
        }

        Assert.IsNotNull(directory, "repository root (Dht.sln) not found above the test binaries");
        var files = Directory.GetFiles(Path.Combine(directory.FullName, "Dht.Simulator", "scenarios"), "*.json").Order(StringComparer.Ordinal).ToList();
        Assert.IsGreaterThanOrEqualTo(8, files.Count, string.Join(", ", files));
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            Assert.StartsWith("//", text.TrimStart().TrimStart('{').TrimStart(), $"{Path.GetFileName(file)} must start with a comment saying what it is for");
            var scenario = JsonSerializer.Deserialize(text, ScenarioJsonContext.Default.Scenario);
            Assert.IsNotNull(scenario, file);
            Assert.AreEqual(Path.GetFileNameWithoutExtension(file), scenario.Name, $"{file}: name should match the file name");
            Assert.IsTrue(scenario.Crypto is "real" or "modeled" or "auto", $"{file}: crypto {scenario.Crypto}");
            Assert.IsTrue(scenario.Network.Latency is "geo" or "constant" or "matrix", $"{file}: latency {scenario.Network.Latency}");
            Assert.IsTrue(scenario.Churn.Model is "none" or "exponential" or "weibull", $"{file}: churn {scenario.Churn.Model}");
        }
    }
}
