using Dht.Tests.Support;

namespace Dht.Tests.Readme;

[TestClass]
[TestCategory("Loopback")]
public sealed class ReadmeExampleTests
{
    [TestMethod]
    public void Readme_ContainsTheExampleVerbatim()
    {
        var root = Repository.Root;
        var source = File.ReadAllLines(Path.Combine(root, "Dht.Tests", "Readme", "ReadmeExample.cs"));
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        var start = Array.FindIndex(source, l => l.Trim() == "// example:start");
        var end = Array.FindIndex(source, l => l.Trim() == "// example:end");
        Assert.IsGreaterThan(start, end);
        var snippet = string.Join("\n", source[(start + 1)..end].Select(l => l.Length >= 8 ? l[8..] : l.TrimStart()));
        StringAssert.Contains(readme, snippet, "README.md's example differs from Dht.Tests/Readme/ReadmeExample.cs; copy it over.");
    }

    [TestMethod]
    public async Task ReadmeExample_Runs_PrintsTheResults()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dht-readme-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        using var output = new StringWriter();
        await ReadmeExample.RunAsync(Path.Combine(dir, "node.key"), output).WaitAsync(TimeSpan.FromSeconds(60));
        var text = output.ToString();
        StringAssert.Contains(text, ": hello, dht (1 acks)");
        StringAssert.Contains(text, "seq 2: busy");
        StringAssert.Contains(text, "cas write: 1 acks");
        StringAssert.Contains(text, "knows 1 contact(s)");
        Assert.IsTrue(File.Exists(Path.Combine(dir, "node.key")));
    }
}
